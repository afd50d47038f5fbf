import ArgumentParser

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = store.bootstrapLogging()
        _ = try store.openStore(logger: logger)
        logger.info("database is up to date", metadata: ["database": "\(store.databasePath)"])
    }
}
