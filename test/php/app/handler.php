<?php
// An event handler as the Bitrix24 docs write one: it reads $_REQUEST, checks application_token,
// and calls back through CRest.
require __DIR__ . '/bootstrap.php';

$mode = $_GET['mode'] ?? 'app';
$dir = getenv('B24_TEST_DIR');
$config = json_decode(file_get_contents($dir . '/config.json'), true);
$settings = file_exists($dir . '/settings.json') ? json_decode(file_get_contents($dir . '/settings.json'), true) : [];
// The token to compare with: the one ONAPPINSTALL gave (application mode, kept by CRest), or the
// one the operator's install printed (webhook mode).
$expected = $mode === 'webhook' ? $config['application_token'] : ($settings['application_token'] ?? '');
$token = $_REQUEST['auth']['application_token'] ?? '';
if (!hash_equals($expected, $token)) {
	record(['script' => 'handler', 'mode' => $mode, 'refused' => true, 'event' => $_REQUEST['event'] ?? null]);
	http_response_code(403);
	return;
}

$event = $_REQUEST['event'];
$fields = $_REQUEST['data']['FIELDS'] ?? [];
$entry = [
	'script' => 'handler',
	'mode' => $mode,
	'event' => $event,
	'event_handler_id' => $_REQUEST['event_handler_id'] ?? null,
	'data' => $_REQUEST['data'] ?? null,
	'auth_keys' => array_keys($_REQUEST['auth']),
	// What PHP handlers write against Bitrix24's bodies.
	'checks' => [
		'yes_is_1' => isset($fields['YES']) && $fields['YES'] == 1 && $fields['YES'] === '1',
		'no_is_0' => isset($fields['NO']) && $fields['NO'] === '0' && !$fields['NO'],
		'nothing_unset' => !isset($fields['NOTHING']) && !array_key_exists('NOTHING', $fields),
		'empty_unset' => !array_key_exists('EMPTY', $fields),
	],
];
if ($event === 'ONOFFLINEEVENT') {
	// Drain the queue at once, as the docs advise.
	$entry['drained'] = TestCRest::call('event.offline.get', ['limit' => 50]);
} else {
	$entry['profile'] = TestCRest::call('profile');
}
record($entry);
echo 'OK';
