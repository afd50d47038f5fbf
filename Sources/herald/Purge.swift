import ArgumentParser
import Foundation
import HeraldCore
import HeraldServer

/// `herald purge`: the retention purge, now, on the configured database.
struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete events older than --retention-days, with their deliveries and attempts, now.",
        discussion: "Events whose deliveries have not all settled stay. The server does the same every minute.\n\n"
            + "SETTINGS (flag, else HERALD_* variable, else --config file, else default):\n\n"
            + HeraldSettings.help(HeraldSettings.store + [HeraldSettings.retentionDays]))

    @Argument(parsing: .allUnrecognized, help: .hidden) var options: [String] = []

    func run() async throws {
        let settings = try await SettingsReader.load(
            arguments: options, declared: HeraldSettings.store + [HeraldSettings.retentionDays])
        let store = try StoreOptions(settings)
        let logger = store.bootstrapLogging()
        try store.requireExistingDatabase()
        let days = try settings.double(HeraldSettings.retentionDays)
        guard days > 0 else { throw StartUp.fail("--retention-days is 0: events are kept forever, nothing to purge") }
        let retention = Retention(age: days * 86_400)
        let purged: Int
        if store.isPostgres {
            purged = try await store.withPostgres(logger: logger) { try await retention.purge($0, now: Date()) }
        } else {
            purged = try await retention.purge(try store.openStore(logger: logger), now: Date())
        }
        print("purged \(purged) events older than \(days.formatted()) days")
    }
}
