import ArgumentParser

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let logger = store.bootstrapLogging()
        if store.isPostgres {
            try await store.withPostgres(logger: logger) { _ in }
        } else {
            _ = try store.openStore(logger: logger)
        }
        logger.info("database is up to date")
    }
}
