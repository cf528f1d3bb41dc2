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
        # A failed subTest fails its test: reported once, with every
        # failure's traceback, when the test ends.
        if err is not None:
            self._sub_failures.setdefault(test, []).append((subtest, err))

    def startTest(self, test):
        super().startTest(test)
        self._sub_failures = getattr(self, "_sub_failures", {})

    def stopTest(self, test):
        failures = self._sub_failures.pop(test, None)
        if failures:
            self.n += 1
            print(f"not ok {self.n} - {self._name(test)}")
            for subtest, err in failures:
                self._diag(f"{subtest}:\n" + "".join(traceback.format_exception(*err)))
            sys.stdout.flush()
            self.failures.append((test, "subtest"))
        super().stopTest(test)

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
