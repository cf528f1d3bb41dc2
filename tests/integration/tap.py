"""tap.py — run one integration test module and report in TAP.

usage: /usr/bin/python3 tests/integration/tap.py tests/integration/test_x.py
"""
import importlib.util
import os
import sys
import traceback
import unittest


class TapResult(unittest.TestResult):
    def __init__(self, total):
        super().__init__()
        self.n = 0
        self.failed_subtests = set()
        print(f"1..{total}", flush=True)

    def _name(self, test):
        return f"{test.__class__.__name__}.{test._testMethodName}"

    def _diag(self, text):
        for line in text.rstrip().splitlines():
            print(f"# {line}")

    def addSuccess(self, test):
        self.n += 1
        print(f"ok {self.n} - {self._name(test)}", flush=True)

    def addFailure(self, test, err):
        self.n += 1
        print(f"not ok {self.n} - {self._name(test)}")
        self._diag("".join(traceback.format_exception(*err)))
        sys.stdout.flush()

    addError = addFailure

    def addSubTest(self, test, subtest, err):
        # A failing subtest fails its test once (unittest then reports
        # nothing else for it); every failing subtest is shown.
        super().addSubTest(test, subtest, err)
        if err is None:
            return
        if test.id() not in self.failed_subtests:
            self.failed_subtests.add(test.id())
            self.n += 1
            print(f"not ok {self.n} - {self._name(test)}")
        self._diag(f"{subtest._subDescription()}:\n" +
                   "".join(traceback.format_exception(*err)))
        sys.stdout.flush()

    def addSkip(self, test, reason):
        self.n += 1
        print(f"ok {self.n} - {self._name(test)} # SKIP {reason}", flush=True)


def main():
    path = sys.argv[1]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(
        os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
    result = TapResult(suite.countTestCases())
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
