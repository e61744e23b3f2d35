import GridworkCLI

/// The `gridwork` executable: all logic lives in `GridworkCLI` and the libraries below it.
@main
struct GridworkMain {
    static func main() async {
        GridworkCommand.prepareProcess()
        await GridworkCommand.main()
    }
}
