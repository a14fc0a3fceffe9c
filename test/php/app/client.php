<?php
// The application's own code: runs the calls given as JSON on stdin through CRest and prints
// their results as JSON. B24_MODE=webhook|app.
require __DIR__ . '/bootstrap.php';

$out = [];
foreach (json_decode(stream_get_contents(STDIN), true) as $step) {
	if (isset($step['batch'])) {
		$out[] = TestCRest::callBatch($step['batch'], $step['halt'] ?? 0);
	} else {
		$out[] = TestCRest::call($step['method'], $step['params'] ?? []);
	}
}
echo json_encode($out, JSON_UNESCAPED_SLASHES);
