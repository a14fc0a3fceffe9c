<?php
/**
 * Test glue: configures CRest as a PHP developer would (settings.php constants), from
 * B24_TEST_DIR/config.json written by test/php/crest.test.ts. CRest itself is read, unchanged,
 * from ../shared/clients/crest/src/ relative to the repository root.
 * Mode: ?mode=webhook|app on a handler URL, or B24_MODE for the command-line client.
 */
$dir = getenv('B24_TEST_DIR');
$config = json_decode(file_get_contents($dir . '/config.json'), true);
$mode = $_GET['mode'] ?? (getenv('B24_MODE') ?: 'app');

if ($mode === 'webhook') {
	define('C_REST_WEB_HOOK_URL', $config['webhook_url']);
} else {
	define('C_REST_CLIENT_ID', $config['client_id']);
	define('C_REST_CLIENT_SECRET', $config['client_secret']);
}
define('C_REST_OAUTH_URL', $config['oauth_url']);
define('C_REST_LOGS_DIR', $dir . '/logs/');

require_once dirname(__DIR__, 3) . '/../shared/clients/crest/src/crest.php';
require_once __DIR__ . '/hub-crest.php';

/** CRest keeps settings.json next to crest.php; the tests keep it in their own directory (CRest's documented override). */
class TestCRest extends HubCRest
{
	protected static function getSettingData()
	{
		$file = getenv('B24_TEST_DIR') . '/settings.json';
		$return = file_exists($file) ? static::expandData(file_get_contents($file)) : [];
		if (defined('C_REST_CLIENT_ID')) {
			$return['C_REST_CLIENT_ID'] = C_REST_CLIENT_ID;
			$return['C_REST_CLIENT_SECRET'] = C_REST_CLIENT_SECRET;
		}
		return $return;
	}

	protected static function setSettingData($arSettings)
	{
		return (bool) file_put_contents(getenv('B24_TEST_DIR') . '/settings.json', static::wrapData($arSettings));
	}
}

/** Appends one JSON line to B24_TEST_DIR/received.jsonl (what the test reads back). */
function record(array $entry)
{
	file_put_contents(getenv('B24_TEST_DIR') . '/received.jsonl', json_encode($entry, JSON_UNESCAPED_SLASHES) . "\n", FILE_APPEND | LOCK_EX);
}
