//! `cargo verify`: the verification campaign (see `docs/verification.md`).

fn main() {
    match xikernel_verify::campaign::parse_args(std::env::args().skip(1)) {
        Ok(opts) => std::process::exit(xikernel_verify::campaign::run(opts)),
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("cargo verify: {msg}");
            }
            eprintln!("{}", xikernel_verify::campaign::cli::USAGE);
            std::process::exit(if msg.is_empty() { 0 } else { 2 });
        }
    }
}
