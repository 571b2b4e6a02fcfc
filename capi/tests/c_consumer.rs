//! Compiles the C consumer `capi/tests/two_interps.c` (the example of
//! docs/vendoring.md) with gcc against `libxikernel_capi.a` and the
//! committed `include/xikernel.h`, and runs it: plain, then under
//! ThreadSanitizer and AddressSanitizer. A sanitizer whose runtime the
//! machine lacks (neither gcc nor clang can link it) prints
//! `SKIPPED: reason`; the plain build must always work.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory holding a fresh `libxikernel_capi.a`. `cargo test` builds
/// the library only as the rlib the tests link, so the static library of
/// this very source is built here (once per test binary), with the same
/// profile and target dir: the test binary is
/// `<target>/<profile>/deps/c_consumer-<hash>`.
fn lib_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().unwrap();
            let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
            let target = profile_dir.parent().unwrap();
            let mut cmd = Command::new(env!("CARGO"));
            cmd.args(["build", "-q", "-p", "xikernel-capi", "--lib"])
                .env("CARGO_TARGET_DIR", target)
                .current_dir(root());
            if profile_dir.file_name().unwrap() == "release" {
                cmd.arg("--release");
            }
            let status = cmd.status().unwrap();
            assert!(status.success(), "cargo build -p xikernel-capi failed");
            assert!(profile_dir.join("libxikernel_capi.a").exists());
            profile_dir
        })
        .clone()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Compiles the consumer with `cc` and `flags`; the compiler's errors on
/// failure.
fn compile(cc: &str, flags: &[&str], name: &str) -> Result<PathBuf, String> {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("two_interps_{name}"));
    let root = root();
    let output = Command::new(cc)
        .args([
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1", "-pthread",
        ])
        .args(flags)
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join("capi/tests/two_interps.c"))
        .arg(lib_dir().join("libxikernel_capi.a"))
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&out)
        .output()
        .map_err(|e| format!("{cc}: {e}"))?;
    if output.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{cc} {flags:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn run(exe: &Path, envs: &[(&str, String)]) {
    let out = Command::new(exe)
        .envs(envs.iter().cloned())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("two_interps: ok"),
        "{} failed ({}):\n{stdout}\n{stderr}",
        exe.display(),
        out.status
    );
}

#[test]
fn plain_gcc() {
    let exe = compile("gcc", &[], "plain").unwrap_or_else(|e| panic!("{e}"));
    run(&exe, &[]);
}

/// Whether `cc` can build and run a trivial program with `flag` (the
/// sanitizer's runtime is installed).
fn runtime_works(cc: &str, flag: &str) -> bool {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("probe.c");
    let exe = dir.join(format!("probe_{cc}{flag}"));
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let built = Command::new(cc)
        .arg(flag)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .is_ok_and(|o| o.status.success());
    built && Command::new(&exe).status().is_ok_and(|s| s.success())
}

/// gcc's runtime, else clang's (Debian: libclang-rt-*-dev); SKIPPED if
/// neither has one. Once a compiler has the runtime, a failure to build
/// or run the consumer fails the test.
fn sanitized(flag: &str, name: &str, envs: &[(&str, String)]) {
    for cc in ["gcc", "clang"] {
        if runtime_works(cc, flag) {
            let exe = compile(
                cc,
                &[flag, "-fno-omit-frame-pointer"],
                &format!("{name}_{cc}"),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            return run(&exe, envs);
        }
    }
    println!("SKIPPED: {name}: neither gcc nor clang has a {flag} runtime here");
}

#[test]
fn thread_sanitizer() {
    let supp = root().join("capi/tests/tsan.supp");
    sanitized(
        "-fsanitize=thread",
        "tsan",
        &[(
            "TSAN_OPTIONS",
            format!(
                "halt_on_error=1 exitcode=66 suppressions={}",
                supp.display()
            ),
        )],
    );
}

#[test]
fn address_sanitizer() {
    sanitized(
        "-fsanitize=address",
        "asan",
        &[("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1".to_string())],
    );
}
