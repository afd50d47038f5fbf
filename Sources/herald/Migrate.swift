import ArgumentParser
import HeraldServer

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and exit.",
        discussion: "SETTINGS (flag, else HERALD_* variable, else --config file, else default):\n\n"
            + HeraldSettings.help(HeraldSettings.store))

    @Argument(parsing: .allUnrecognized, help: .hidden) var options: [String] = []

    func run() async throws {
        let store = try StoreOptions(try await SettingsReader.load(arguments: options, declared: HeraldSettings.store))
        let logger = store.bootstrapLogging()
        if store.isPostgres {
            try await store.withPostgres(logger: logger) { _ in }
        } else {
            _ = try store.openStore(logger: logger)
        }
        logger.info("database is up to date")
    }
}
