import ReliefCLI

/// The `relief` executable: everything lives in ReliefCLI so that tests can reach it.
@main
enum ReliefMain {
    static func main() async {
        await Relief.main(nil)
    }
}
