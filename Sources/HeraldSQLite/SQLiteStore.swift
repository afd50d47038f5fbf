import Foundation
import GRDB
import HeraldCore

/// Herald's embedded store: one SQLite file in WAL mode, one writer, readers in parallel.
public struct SQLiteStore: HeraldStore, Sendable {
    let pool: DatabasePool
    /// The connections ``pointRead(_:)`` reads with.
    let pointReaders: PointReaders
    /// Announces commits that make deliveries due to this process's workers.
    let work: WorkSignal
    /// The active webhooks events are matched against.
    let routes: RouteCache
    /// The endpoints the next claim looks at.
    let claimWindow = ClaimWindow()
    /// Concurrent ingests, committed together.
    let ingests: GroupCommit<IngestRequest, [IngestResult]>
    /// Seals the secrets of webhooks as they are written and opens them as they are read.
    public let secretBox: SecretBox

    /// How commits reach the disk.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// Every commit is on disk before it returns: a 202 survives a power cut. The default.
        case full
        /// Commits survive a crash of the process, but a power cut or an operating system crash
        /// may lose the last ones (events already answered 202 among them). Faster.
        case normal
    }

    /// Opens (creating if needed) the database at `path`. Call ``migrate(from:)`` before use.
    public init(path: String, synchronous: Synchronous = .full, secretBox: SecretBox = .clear) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue.uppercased())")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        self.pointReaders = try PointReaders(path: path)
        let work = WorkSignal()
        let routes = RouteCache()
        self.pool = pool
        self.work = work
        self.routes = routes
        self.secretBox = secretBox
        ingests = GroupCommit(
            maxCost: Self.maxEventsPerCommit, capacity: Self.maxIngestsWaiting, cost: { $0.events.count }
        ) {
            await Self.commit($0, pool: pool, routes: routes, work: work, box: secretBox)
        }
    }

    /// The most events one ingest transaction takes (a larger batch goes alone).
    static let maxEventsPerCommit = 2_000
    /// The most ingests waiting for a transaction before new ones are turned away.
    static let maxIngestsWaiting = 8_192

    /// Applies the pending `NNNN_name.sql` files of `directory`, in name order.
    /// Returns the names of the migrations it applied.
    @discardableResult
    public func migrate(from directory: URL) throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !files.isEmpty else { throw MigrationError.noMigrations(directory.path) }
        var migrator = DatabaseMigrator()
        for file in files {
            let sql = try String(contentsOf: file, encoding: .utf8)
            migrator.registerMigration(file.deletingPathExtension().lastPathComponent) { db in
                try db.execute(sql: sql)
            }
        }
        let pending = try pool.read { db in try migrator.hasCompletedMigrations(db) ? [] : migrator.migrations }
        let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        try migrator.migrate(pool)
        return pending.filter { !applied.contains($0) }
    }

    /// An embedded database needs nothing running beside it.
    public var companions: [any StoreCompanion] { [] }

    /// Reads one row by its key on the calling thread, with one statement, on a read-only
    /// connection of ``PointReaders``.
    ///
    /// GRDB's `async` read hands the work to a reader's queue and resumes the task afterwards:
    /// two thread hand-offs for a read of a few microseconds, and with an API key and a property
    /// read before each event, single-event ingest went from 2.5k to 3.5k events/s without them.
    /// The connections are not the pool's: a synchronous wait for a pool reader could block the
    /// task pool's threads while the async reads holding every reader wait for one of those
    /// threads to resume and give theirs back. Nothing holds these across a suspension, so a wait
    /// for one lasts one point read at most; in WAL mode they never wait for the writer.
    ///
    /// `body` runs one statement, outside a transaction: one statement reads one snapshot, and a
    /// `BEGIN`/`COMMIT` around it cost two more statements a read.
    func pointRead<T>(_ body: (Database) throws -> T) throws -> T {
        try pointReaders.next.inDatabase(body)
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}

/// Why migrations could not run.
public enum MigrationError: Error, CustomStringConvertible {
    case noMigrations(String)

    public var description: String {
        switch self {
        case .noMigrations(let path): "no migrations (*.sql) found in \(path)"
        }
    }
}
