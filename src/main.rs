//! The `kensaku` binary: a thin shell over the library.

/// mimalloc: indexing allocates a string per token on several threads, and
/// glibc's allocator spent a tenth of indexing time in malloc/free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kensaku::cli::main()
}
