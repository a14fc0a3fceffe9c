// Tests run use cases that send (publish, event.test, notifications) without a handler entry
// that would bring the outbound adapters, as a Lambda bundle does: bring them for every test file.
import '../../lambdas/outbound/index';
