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
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("herald.sqlite").path
        let store = try SQLiteStore(path: path)
        try store.migrate(from: TestHerald.migrations)
        let now = Timestamp.now()
        let tenant = Tenant(name: "Acme", createdAt: now)
        try await store.insertTenant(tenant)
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
}
