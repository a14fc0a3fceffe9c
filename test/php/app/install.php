<?php
// The application's install handler: ONAPPINSTALL arrives here; CRest::installApp() keeps the tokens.
require __DIR__ . '/bootstrap.php';

$result = TestCRest::installApp();
record([
	'script' => 'install',
	'event' => $_REQUEST['event'] ?? null,
	'data' => $_REQUEST['data'] ?? null,
	'auth_keys' => array_keys($_REQUEST['auth'] ?? []),
	'install' => $result,
]);
echo json_encode($result);
