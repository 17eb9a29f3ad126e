//! The `kensaku` binary: a thin shell over the library.

fn main() -> std::process::ExitCode {
    kensaku::cli::main()
}
