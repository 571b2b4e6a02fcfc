"""Tests of the installed `xikernel` package (`pip install ./python`): one
copy of the kernel per process, the import hook in the main interpreter
and in sub-interpreters, `XIKERNEL_DISABLE`, `xikernel.install()` and
`python -m xikernel`.

Run by python/run-cpython-tests.sh with the Python of an environment the
package is installed in (`--python`). With the developer build (python/build
on PYTHONPATH, no hook) only the one-kernel tests run.
"""

import os
import subprocess
import sys
import textwrap
import unittest

try:
    import xikernel
    from xikernel import _hook
except ImportError:  # the developer build: no package
    xikernel = None


INSTALLED = xikernel is not None and _hook.library() is not None


def needs_package(cls):
    return unittest.skipUnless(INSTALLED, "the xikernel package is not installed here")(cls)


def run_py(code, *args, env=None, check=True):
    """Runs `code` in a fresh interpreter of this environment."""
    full = dict(os.environ)
    if INSTALLED:
        full.pop("PYTHONPATH", None)
    full.pop("XIKERNEL_DISABLE", None)
    full.update(env or {})
    # cwd: not a source checkout, whose python/xikernel would shadow the
    # installed package.
    r = subprocess.run([sys.executable, *args, "-c", textwrap.dedent(code)],
                       env=full, capture_output=True, text=True, timeout=120,
                       cwd=os.path.dirname(os.path.abspath(__file__)))
    if check and r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


class OneKernelTests(unittest.TestCase):
    """Both modules are served by one mapped library (installed: the
    package's `_native`; developer build: python/build's symlinks)."""

    def test_both_modules_come_from_the_one_library(self):
        import _interpchannels
        import _interpqueues
        self.assertEqual(_interpqueues._kernel(), "xikernel")
        self.assertEqual(_interpchannels._kernel(), "xikernel")
        self.assertEqual(os.path.realpath(_interpqueues.__file__),
                         os.path.realpath(_interpchannels.__file__))
        if INSTALLED:
            self.assertEqual(_interpqueues.__file__, _hook.library())

    def test_the_library_is_mapped_once_and_no_cpython_module(self):
        # In a fresh process, so nothing this test run imported counts.
        out = run_py("""
            import _interpqueues, _interpchannels
            from test.support import interpreters
            i = interpreters.create()
            i.exec("import _interpqueues, _interpchannels")
            with open("/proc/self/maps") as f:
                libs = {l.split()[-1] for l in f if ".so" in l}
            print(_interpqueues.__file__)
            print("\\n".join(sorted(p for p in libs if "_interpqueues" in p or "_interpchannels" in p or "xikernel" in p)))
            """).stdout.split()
        first, mapped = out[0], out[1:]
        self.assertEqual(mapped, [os.path.realpath(first)])


@needs_package
class HookTests(unittest.TestCase):
    def test_first_on_meta_path_here(self):
        self.assertTrue(_hook.installed())
        self.assertIsInstance(sys.meta_path[0], _hook.XikernelFinder)

    def test_a_sub_interpreter_installs_it_at_start_up(self):
        from test.support import interpreters
        from test.support.interpreters import queues
        q = queues.create(syncobj=True)
        sub = interpreters.create()
        try:
            sub.prepare_main(q=q)
            sub.exec(textwrap.dedent("""
                import sys, _interpqueues, _interpchannels
                q.put((type(sys.meta_path[0]).__name__,
                       _interpqueues.__file__, _interpchannels.__file__))
                """))
            finder, fq, fc = q.get(timeout=10)
        finally:
            sub.close()
        self.assertEqual(finder, "XikernelFinder")
        self.assertEqual((fq, fc), (_hook.library(), _hook.library()))

    def test_other_names_are_left_to_the_next_finder(self):
        f = _hook.XikernelFinder(_hook.library())
        self.assertIsNone(f.find_spec("_interpreters"))
        self.assertIsNone(f.find_spec("json"))
        spec = f.find_spec("_interpqueues")
        self.assertEqual(spec.origin, _hook.library())
        self.assertTrue(spec.has_location)

    def test_disable_env_gives_cpython_modules_everywhere(self):
        r = run_py("""
            import sys, _interpqueues, _interpchannels
            from test.support import interpreters
            from test.support.interpreters import queues
            assert not hasattr(_interpqueues, "_kernel"), _interpqueues.__file__
            assert not hasattr(_interpchannels, "_kernel"), _interpchannels.__file__
            q = queues.create(syncobj=True)
            i = interpreters.create()
            # (CPython 3.13.0's module needs the import before prepare_main)
            i.exec("import _interpqueues")
            i.prepare_main(q=q)
            i.exec("import _interpqueues as m; q.put(hasattr(m, '_kernel'))")
            print(q.get(timeout=10))
            """, env={_hook.DISABLE_ENV: "1"})
        self.assertEqual(r.stdout.strip(), "False")

    def test_disable_env_zero_keeps_the_hook(self):
        r = run_py("import _interpqueues as m; print(m._kernel())",
                   env={_hook.DISABLE_ENV: "0"})
        self.assertEqual(r.stdout.strip(), "xikernel")

    def test_install_without_site(self):
        # `python -S` skips .pth files: install() by hand.
        site = os.path.dirname(os.path.dirname(_hook.library()))
        r = run_py(f"""
            import sys
            sys.path.append({site!r})
            import xikernel
            assert not any(getattr(f, "_xikernel", False) for f in sys.meta_path)
            xikernel.install()
            xikernel.install()  # idempotent
            assert sum(getattr(f, "_xikernel", False) is True for f in sys.meta_path) == 1
            import _interpqueues
            print(_interpqueues._kernel())
            """, "-S")
        self.assertEqual(r.stdout.strip(), "xikernel")

    def test_install_refuses_after_cpython_module_loaded(self):
        r = run_py("""
            import _interpqueues, xikernel
            try:
                xikernel.install()
            except RuntimeError as e:
                print("refused:", "already imported" in str(e))
            """, env={_hook.DISABLE_ENV: "1"})
        self.assertEqual(r.stdout.strip(), "refused: True")


@needs_package
class MainTests(unittest.TestCase):
    def test_reports_ours_in_main_and_sub(self):
        r = run_py("import runpy; runpy.run_module('xikernel', run_name='__main__')",
                   check=False)
        out = r.stdout
        self.assertIn("main interpreter:", out)
        self.assertIn("sub-interpreter:", out)
        rows = [line.split() for line in out.splitlines()
                if line.strip().startswith("_interp")]
        self.assertEqual(len(rows), 4, out)
        self.assertTrue(all(row[1] == "xikernel" for row in rows), out)

    def test_expect(self):
        ok = subprocess.run([sys.executable, "-m", "xikernel", "--expect", "xikernel"],
                            capture_output=True, text=True, timeout=120)
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        bad = subprocess.run([sys.executable, "-m", "xikernel", "--expect", "cpython"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(bad.returncode, 1, bad.stdout + bad.stderr)
        self.assertIn("FAIL", bad.stdout)
        env = dict(os.environ, **{_hook.DISABLE_ENV: "1"})
        native = subprocess.run([sys.executable, "-m", "xikernel", "--expect", "cpython"],
                                capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(native.returncode, 0, native.stdout + native.stderr)


if __name__ == "__main__":
    unittest.main()
