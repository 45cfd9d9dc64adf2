fn main() -> std::process::ExitCode {
    kubelift::cli::main()
}
