import Foundation
import HeraldCore
import HeraldSQLite
import NIOCore
import NIOPosix
import Testing

/// The `herald` binary as a person runs it: mistakes get one clear line, before anything else.
@Suite struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs the built binary with `arguments`; kills it after 30 s.
    static func herald(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Run {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HERALD_") }
        environment["HERALD_MIGRATIONS"] = TestPostgres.migrations.deletingLastPathComponent().path
        environment.merge(extra) { _, new in new }
        let run = try await ChildProcess.run(try HeraldProcess.binary.path, arguments, environment: environment)
        return Run(status: run.status, output: run.output, errors: run.errors)
    }

    @Test func versionIsPrinted() async throws {
        let run = try await Self.herald(["--version"])
        #expect(run.status == 0)
        #expect(run.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test func aPortInUseFailsWithOneLineBeforeAnyAdminKeyIsPrinted() async throws {
        let taken = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(taken.localAddress?.port)
        let run = try await Self.herald(["serve", "--port", String(port)])
        try await taken.close()
        #expect(run.status == 1)
        #expect(
            run.errors
                == "herald: port \(port) on 127.0.0.1 is already in use; stop what listens there or choose another with --port\n"
        )
        #expect(!run.output.contains("admin key"))
    }

    @Test(arguments: [
        ("hrld_short", "is 10 characters long; it needs at least 32"),
        (String(repeating: "ab", count: 20), "has 2 distinct characters; it needs at least 10"),
        ("hrld_a key with spaces in it, 0123456789", "takes printable ASCII characters only"),
    ])
    func aWeakSeededAdminKeyIsRefusedBeforeAnythingStarts(key: String, problem: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-seed-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("herald.sqlite").path
        let run = try await Self.herald(
            ["serve", "--port", "0"], environment: ["HERALD_ADMIN_KEY": key, "HERALD_DATABASE_URL": path])
        #expect(run.status == 1)
        #expect(run.errors.hasPrefix("herald: HERALD_ADMIN_KEY \(problem)"))
        #expect(run.errors.split(separator: "\n").count == 1)
        #expect(run.output.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// Standard output that is not a terminal may be a log stream: no key is generated to be
    /// written there, and the log says how to make one.
    @Test func noAdminKeyIsGeneratedWithoutATerminalToShowItOn() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-tty-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("herald.sqlite").path
        let herald = try HeraldProcess(database: path, adminKey: nil)
        try await herald.waitUntilReady()
        let log = try String(contentsOf: herald.log, encoding: .utf8)
        herald.stop()
        #expect(log.contains("no platform admin key"))
        #expect(log.contains("herald keys create --role admin"))
        #expect(!log.contains(KeyMaterial.apiKeyPrefix))
        #expect(try await SQLiteStore(path: path).hasAPIKeys() == false)
    }

    @Test func anUnknownDatabaseSchemeNamesTheSupportedOnes() async throws {
        let run = try await Self.herald(
            ["serve", "--port", "0"], environment: ["HERALD_DATABASE_URL": "mysql://db/herald"])
        #expect(run.status == 1)
        #expect(run.errors.contains("unknown database URL scheme 'mysql://'"))
        #expect(run.errors.contains("postgres://"))
        #expect(!run.output.contains("admin key"))
    }

    @Test func theSinkRefusesASecretThatIsNotAWhsecSecret() async throws {
        let run = try await Self.herald(["sink", "--port", "0", "--secret", "my-password"])
        #expect(run.status != 0)
        #expect(run.errors.contains("--secret takes a whsec_ secret"))
    }

    /// `herald purge` on the configured database: old settled events go, recent ones stay.
    @Test func purgeDeletesOldEventsOnTheConfiguredDatabase() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "herald-purge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (path, store, tenant) = try await databaseWithATenant(directory)
        let now = Timestamp.now()
        for age in [3.0, 3.0, 3.0, 0.5] {
            let date = now.addingTimeInterval(-age * 86_400)
            _ = try await store.ingest(
                [
                    Event(
                        tenantId: tenant.id, propertyId: nil, name: "ari", payload: [], occurredAt: date,
                        createdAt: date)
                ],
                tenantId: tenant.id, now: date)
        }
        let run = try await Self.herald(["purge", "--retention-days", "2", "--database", path])
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output == "purged 3 events older than 2 days\n")
        #expect(try await store.listEvents(EventQuery(tenantId: tenant.id)).total == 1)
        let never = try await Self.herald(["purge", "--retention-days", "0", "--database", path])
        #expect(never.status == 1)
    }

    /// A migrated SQLite file in `directory` (made here) holding one tenant.
    func databaseWithATenant(_ directory: URL) async throws -> (path: String, store: SQLiteStore, tenant: Tenant) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("herald.sqlite").path
        let store = try SQLiteStore(path: path)
        try store.migrate(from: TestHerald.migrations)
        let tenant = Tenant(name: "Acme", createdAt: Timestamp.now())
        try await store.insertTenant(tenant)
        return (path, store, tenant)
    }

    /// A database with one webhook in clear, made by the current code as an older Herald would have.
    func databaseWithAWebhookInClear(_ directory: URL) async throws -> (path: String, webhook: Webhook) {
        let (path, store, tenant) = try await databaseWithATenant(directory)
        let now = Timestamp.now()
        let webhook = Webhook(
            tenantId: tenant.id, propertyId: nil, isGlobal: true, callbackURL: "https://u:hunter2@8.8.8.8/h",
            eventMask: try EventMask(parsing: "*"), headers: ["X-Token": "header-token"],
            secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())], createdAt: now, updatedAt: now)
        try await store.insertWebhook(webhook)
        return (path, webhook)
    }

    /// The operator's path to sealing: a key, `herald secrets rotate-key`, and a server that will
    /// not start without the key that sealed the database.
    @Test func rotateKeySealsAClearDatabaseAndServeRefusesToStartWithoutItsKey() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-seal-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (path, webhook) = try await databaseWithAWebhookInClear(directory)
        let key = SecretBox.Key.generate()

        let refused = try await Self.herald(["secrets", "rotate-key", "--database", path])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("HERALD_ENCRYPTION_KEY is not set"))
        let weak = try await Self.herald(
            ["secrets", "rotate-key", "--database", path], environment: ["HERALD_ENCRYPTION_KEY": "c2hvcnQ="])
        #expect(weak.status == 1)
        #expect(
            weak.errors
                == "herald: HERALD_ENCRYPTION_KEY decodes to 5 bytes, not 32; use 32 random bytes in base64, e.g. `openssl rand -base64 32`\n"
        )

        // What a copy of the database's files holds, log included.
        func files() throws -> Data {
            try [path, path + "-wal"].filter { FileManager.default.fileExists(atPath: $0) }
                .map { try Data(contentsOf: URL(fileURLWithPath: $0)) }.reduce(Data(), +)
        }
        let secrets = ["header-token", "hunter2", webhook.secrets[0].value]
        for secret in secrets { #expect(try files().range(of: Data(secret.utf8)) != nil) }

        let rotated = try await Self.herald(
            ["secrets", "rotate-key", "--database", path], environment: ["HERALD_ENCRYPTION_KEY": key])
        #expect(rotated.status == 0, "\(rotated.errors)")
        let id = try SecretBox.Key(base64: key).id
        #expect(rotated.output.hasPrefix("re-sealed 1 webhooks; every webhook is now sealed with key \(id)"))
        for secret in secrets {
            #expect(try files().range(of: Data(secret.utf8)) == nil, "\(secret) is left in the database's files")
        }
        let sealed = try SQLiteStore(path: path, secretBox: SecretBox(current: try SecretBox.Key(base64: key)))
        #expect(try await sealed.webhook(id: webhook.id) == webhook)

        let keyless = try await Self.herald(["serve", "--port", "0", "--database", path])
        #expect(keyless.status == 1)
        #expect(keyless.errors.contains("1 with key \(id)"))
        #expect(keyless.errors.contains("set HERALD_ENCRYPTION_KEY or HERALD_PREVIOUS_ENCRYPTION_KEYS"))
    }

    @Test func serveWarnsWhenSecretsAreStoredInClear() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-clear-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (path, _) = try await databaseWithAWebhookInClear(directory)
        let keyless = try HeraldProcess(database: path, adminKey: nil)
        try await keyless.waitUntilReady()
        let log = try String(contentsOf: keyless.log, encoding: .utf8)
        keyless.stop()
        #expect(log.contains("HERALD_ENCRYPTION_KEY is not set"))

        let key = SecretBox.Key.generate()
        let keyed = try HeraldProcess(
            database: path, adminKey: nil, environment: ["HERALD_ENCRYPTION_KEY": key])
        try await keyed.waitUntilReady()
        let keyedLog = try String(contentsOf: keyed.log, encoding: .utf8)
        keyed.stop()
        #expect(!keyedLog.contains("HERALD_ENCRYPTION_KEY is not set"))
        #expect(keyedLog.contains("run `herald secrets rotate-key`"))
    }
}
