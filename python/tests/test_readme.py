"""The README's Python examples run as written: every ```python block of
README.md (the repository root's), saved as a script, runs in a fresh
interpreter of this environment and must exit 0 (a script, not `-c`:
`multiprocessing` and the interpreter pool load `__main__` by its file); each line of the form `print(...)   # text`
must print `text`, in order.

Run by python/run-cpython-tests.sh, with the developer build or the
installed package (the blocks use `xikernel.queues`).
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
EXPECT = re.compile(r"^\s*print\(.*\)\s+#\s?(.*)$")


def blocks():
    with open(README, encoding="utf-8") as f:
        return BLOCK.findall(f.read())


class ReadmeTests(unittest.TestCase):
    def test_there_are_python_examples(self):
        self.assertGreaterEqual(len(blocks()), 1)

    def test_python_examples_run_as_written(self):
        try:
            import xikernel.queues  # noqa: F401
        except ImportError as e:
            self.skipTest(f"xikernel.queues unavailable: {e}")
        for i, code in enumerate(blocks()):
            with self.subTest(block=i):
                with tempfile.TemporaryDirectory() as tmp:
                    script = os.path.join(tmp, f"readme_example_{i}.py")
                    with open(script, "w", encoding="utf-8") as f:
                        f.write(code)
                    r = subprocess.run([sys.executable, script], capture_output=True,
                                       text=True, timeout=120, cwd=tmp)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                want = [m.group(1).strip() for line in code.splitlines()
                        if (m := EXPECT.match(line))]
                got = [line.strip() for line in r.stdout.splitlines()]
                for w in want:
                    self.assertIn(w, got, f"README promises {w!r}; printed {got}")
                # In order: each promised line after the previous one.
                positions = [got.index(w) for w in want]
                self.assertEqual(positions, sorted(positions), got)


if __name__ == "__main__":
    unittest.main()
