<?php
/**
 * CRest pointed at b24-event-hub for token refresh (docs/php.md).
 *
 * CRest 1.36 sends its refresh request to the literal https://oauth.bitrix.info/oauth/token/
 * inside CRest::callCurl(). It calls callCurl() through static::, so a subclass can send that
 * one request to the service's own /oauth/token/ and leave everything else to CRest,
 * which stays unchanged. Use HubCRest:: wherever the CRest docs write CRest::.
 *
 *   define('C_REST_OAUTH_URL', 'https://hub.example.com/oauth/token/'); // the one setting
 */
class HubCRest extends CRest
{
	protected static function callCurl($arParams)
	{
		if (($arParams['this_auth'] ?? '') !== 'Y' || !defined('C_REST_OAUTH_URL')) {
			return parent::callCurl($arParams);
		}
		$curl = curl_init(C_REST_OAUTH_URL);
		curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
		curl_setopt($curl, CURLOPT_POST, true);
		curl_setopt($curl, CURLOPT_POSTFIELDS, http_build_query($arParams['params']));
		if (defined('C_REST_IGNORE_SSL') && C_REST_IGNORE_SSL === true) {
			curl_setopt($curl, CURLOPT_SSL_VERIFYPEER, false);
			curl_setopt($curl, CURLOPT_SSL_VERIFYHOST, false);
		}
		$out = curl_exec($curl);
		$error = curl_errno($curl) ? curl_error($curl) : '';
		curl_close($curl);
		return $error === '' ? static::expandData($out) : ['error' => 'curl_error', 'error_information' => $error];
	}
}
