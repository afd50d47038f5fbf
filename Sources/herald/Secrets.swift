import ArgumentParser
import Foundation
import HeraldCore
import HeraldServer
import Logging

// MARK: - herald secrets

struct Secrets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Seal webhooks' secrets in the database with a new key.", subcommands: [RotateKey.self])

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract:
                "Re-seal every webhook's signing secrets, headers, request params and URL with HERALD_ENCRYPTION_KEY.",
            discussion: """
                Reads each webhook with the keys it was given (HERALD_ENCRYPTION_KEY and \
                HERALD_PREVIOUS_ENCRYPTION_KEYS) and writes its secrets back sealed with HERALD_ENCRYPTION_KEY, a \
                batch at a time, each batch in one transaction. Webhooks already sealed with that key are left \
                alone, so a run that stopped can be run again. Running servers may keep serving meanwhile.

                To change keys: give every Herald process the new key as HERALD_ENCRYPTION_KEY and the old one \
                in HERALD_PREVIOUS_ENCRYPTION_KEYS, and restart them; run this; then drop the old key. To start \
                sealing a database that holds secrets in clear, set HERALD_ENCRYPTION_KEY and run this.

                SETTINGS (flag, else HERALD_* variable, else --config file, else default):

                """ + HeraldSettings.help(HeraldSettings.store))

        @Flag(help: "With no HERALD_ENCRYPTION_KEY: write every secret back in clear (to stop sealing).")
        var toClear = false
        @Argument(parsing: .allUnrecognized, help: .hidden) var options: [String] = []

        func run() async throws {
            let store = try StoreOptions(
                try await SettingsReader.load(arguments: options, declared: HeraldSettings.store))
            let logger = store.bootstrapLogging(defaultLevel: .warning)
            try store.requireExistingDatabase()
            if store.secretBox.current == nil, !toClear {
                throw StartUp.fail(
                    "HERALD_ENCRYPTION_KEY is not set, and it is the key rotate-key seals with; to write every secret "
                        + "back in clear instead, give --to-clear")
            }
            if store.secretBox.current != nil, toClear {
                throw StartUp.fail("--to-clear writes secrets in clear: unset HERALD_ENCRYPTION_KEY for it")
            }
            let box = store.secretBox
            let (written, census) = try await store.withStore(logger: logger) { database in
                try await Secrets.refuseUnopenable(database)
                return try await database.resealAllWebhooks()
            }
            let target = box.current.map { "sealed with key \($0.id)" } ?? "in clear"
            let stale = census.stale(for: box)
            guard stale == 0 else {
                // A process writing with another key (or none) wrote them meanwhile, or they were
                // held by transactions through every pass.
                let setting = box.current == nil ? "no HERALD_ENCRYPTION_KEY" : "this HERALD_ENCRYPTION_KEY"
                throw StartUp.fail(
                    "re-sealed \(written) webhooks, but up to \(stale) are still not \(target): either a running "
                        + "Herald writes them otherwise (give every process \(setting)) or they were busy; run this again"
                )
            }
            print("re-sealed \(written) webhooks; every webhook is now \(target)")
            if let current = box.current, !box.keyIds.subtracting([current.id]).isEmpty {
                print("HERALD_PREVIOUS_ENCRYPTION_KEYS is no longer needed by this database")
            }
        }
    }

    /// Ends the command when the database holds webhooks sealed with a key the store was not given:
    /// a server would fail on each of them, a rotation could not re-seal them.
    static func refuseUnopenable(_ store: some WebhookStore, census: SealingCensus? = nil) async throws {
        let census = if let census { census } else { try await store.sealingCensus() }
        let unopenable = census.unopenable(by: store.secretBox)
        guard !unopenable.isEmpty else { return }
        let list = unopenable.sorted { $0.key < $1.key }.map { "\($0.value) with key \($0.key)" }
        throw StartUp.fail(
            "webhooks in the database are sealed with a key Herald was not given (\(list.joined(separator: ", "))); "
                + "set HERALD_ENCRYPTION_KEY or HERALD_PREVIOUS_ENCRYPTION_KEYS to the key that sealed them")
    }

    /// What `herald serve` checks before it serves: every webhook opens, and the log says when
    /// secrets are stored in clear or wait to be re-sealed.
    static func checkAtStart(_ store: some WebhookStore, logger: Logger) async throws {
        // One count of the webhooks table answers both questions.
        let census = try await store.sealingCensus()
        try await refuseUnopenable(store, census: census)
        let box = store.secretBox
        guard box.current != nil else {
            // Previous keys without a current one: a move back to clear, under way.
            if !box.keyIds.isEmpty {
                logger.warning(
                    "no HERALD_ENCRYPTION_KEY: webhooks are written in clear; HERALD_PREVIOUS_ENCRYPTION_KEYS only opens what it sealed"
                )
                return
            }
            logger.warning(
                "HERALD_ENCRYPTION_KEY is not set: webhooks' signing secrets, headers, request params and URLs are stored in clear; set it (openssl rand -base64 32) and run `herald secrets rotate-key`"
            )
            return
        }
        let stale = census.stale(for: box)
        if stale > 0 {
            logger.warning(
                "webhooks hold secrets in clear or sealed with a previous key; run `herald secrets rotate-key`",
                metadata: ["webhooks": "\(stale)"])
        }
    }
}
