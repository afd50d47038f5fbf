import Foundation
import GRDB
import HeraldCore

extension SQLiteStore: EventStore {
    public func ingest(_ request: IngestRequest) async throws -> [IngestResult] {
        try await ingests.submit(request)
    }

    /// Concurrent ingests in one transaction, each in a savepoint of its own: one that fails
    /// (its tenant is gone) leaves the others in place.
    static func commit(
        _ requests: [IngestRequest], pool: DatabasePool, routes: RouteCache, work: WorkSignal, box: SecretBox
    ) async -> [Result<[IngestResult], any Error>] {
        do {
            let (results, makesWork) = try await pool.write { db in
                var results: [Result<[IngestResult], any Error>] = []
                var makesWork = false
                // The requests share one budget of deliveries written now.
                var budget = DeferredFanOut.transactionBudget
                for request in requests {
                    do {
                        var plan: Ingest.Plan?
                        try db.inSavepoint {
                            plan = try Ingest.plan(
                                request.events,
                                facts: try Self.facts(Ingest.reads(for: request), routes: routes, box: box, db),
                                now: request.now, keyId: request.keyId, budget: budget)
                            if let plan { try Self.write(plan, tenantId: request.tenantId, db) }
                            return .commit
                        }
                        makesWork = makesWork || plan?.makesWork == true
                        budget -= plan?.deliveries.count ?? 0
                        results.append(.success(plan?.results ?? []))
                    } catch {
                        results.append(.failure(error))
                    }
                }
                return (results, makesWork)
            }
            if makesWork { work.announce() }
            return results
        } catch {
            return requests.map { _ in .failure(error) }
        }
    }

    public func event(id: UUID) async throws -> Event? {
        try pointRead { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM events WHERE id = ?"), arguments: [id.text]).map(
                Event.init(row:))
        }
    }

    /// The primitives ingest reads with; candidate webhooks come from `routes` where it holds
    /// them at the tenant's current webhooks version.
    static func facts(_ reads: Ingest.Reads, routes: RouteCache, box: SecretBox, _ db: Database) throws
        -> Ingest.Facts
    {
        let tenant = reads.tenantId.text
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT demo_mode, webhooks_version FROM tenants WHERE id = ?"),
            arguments: [tenant])
        var facts = Ingest.Facts(demoMode: row?["demo_mode"])
        guard let row else { return facts }
        // Which of the events' properties are the tenant's, and which of the posting keys are live.
        let propertyExists = try db.cachedStatement(
            sql: "SELECT EXISTS (SELECT 1 FROM properties WHERE id = ? AND tenant_id = ?)")
        for propertyId in reads.propertyIds.compactMap({ $0 }) {
            if try Bool.fetchOne(propertyExists, arguments: [propertyId.text, tenant]) == true {
                facts.properties.insert(propertyId)
            }
        }
        let keyLive = try db.cachedStatement(
            sql: "SELECT EXISTS (SELECT 1 FROM api_keys WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL)")
        for keyId in reads.keyIds {
            if try Bool.fetchOne(keyLive, arguments: [keyId.text, tenant]) == true { facts.liveKeys.insert(keyId) }
        }
        for key in reads.idempotencyKeys {
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT e.*, (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id)
                                + (SELECT COALESCE(SUM(f.size), 0) FROM fan_outs f WHERE f.event_id = e.id)
                                AS delivery_count
                            FROM events e WHERE e.tenant_id = ? AND e.idempotency_key = ?
                            """),
                    arguments: [tenant, key])
            else { continue }
            facts.earlier[key] = IngestResult(
                event: try Event(row: row), deliveries: row["delivery_count"], replayed: true)
        }
        for entity in reads.entities {
            let body = try String.fetchOne(
                db.cachedStatement(
                    sql: "SELECT body FROM entity_snapshots WHERE tenant_id = ? AND kind = ? AND entity_id = ?"),
                arguments: [tenant, entity.kind, entity.id])
            facts.snapshots[entity] = body.flatMap { try? JSONValue.decode($0) }
        }
        let version: Int64 = row["webhooks_version"]
        var (scopes, missing) = routes.lookup(
            tenantId: reads.tenantId, propertyIds: reads.propertyIds, version: version)
        var loaded: [RouteCache.Key: [WebhookRoute]] = [:]
        for key in missing {
            let scope = key.propertyId == nil ? "is_global = 1" : "property_id = ?"
            loaded[key] = try Row.decodeAll(
                db.cachedStatement(
                    sql: """
                        SELECT id, tenant_id, property_id, is_global, is_active, receives_test_events, event_mask,
                            callback_url
                        FROM webhooks WHERE tenant_id = ? AND is_active = 1 AND \(scope)
                        """),
                arguments: StatementArguments([tenant] + (key.propertyId.map { [$0.text] } ?? []))
            ) { try WebhookRoute(row: $0, box: box) }
        }
        routes.store(loaded, version: version)
        scopes.merge(loaded) { _, read in read }
        facts.webhooks = RouteCache.candidates(
            tenantId: reads.tenantId, propertyIds: reads.propertyIds, scopes: scopes)
        return facts
    }

    /// The primitives ingest writes with.
    static func write(_ plan: Ingest.Plan, tenantId: UUID, _ db: Database) throws {
        for snapshot in plan.snapshots {
            try db.execute(
                sql: """
                    INSERT INTO entity_snapshots (tenant_id, kind, entity_id, body, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET body = excluded.body,
                        updated_at = excluded.updated_at
                    """,
                arguments: [
                    tenantId.text, snapshot.key.kind, snapshot.key.id, snapshot.body.encodedString(),
                    Timestamp.millis(snapshot.updatedAt),
                ])
        }
        // Many rows a statement: a fan-out to ten thousand webhooks is 200 statements, not 10,000.
        try insert(
            into:
                """
                events (id, tenant_id, property_id, name, user_id, payload, occurred_at, idempotency_key, test, created_at,
                    trace_parent)
                """,
            plan.events.map { event in
                [
                    event.id.text, event.tenantId.text, event.propertyId?.text, event.name, event.userId,
                    event.payload.encodedString(), Timestamp.millis(event.occurredAt), event.idempotencyKey,
                    event.isTest, Timestamp.millis(event.createdAt), event.traceParent,
                ]
            }, db)
        try insert(plan.deliveries, db)
        try write(plan.fanOuts, db)
    }

    /// Inserts new deliveries.
    static func insert(_ deliveries: [Delivery], _ db: Database) throws {
        try insert(
            into: """
                deliveries (id, event_id, webhook_id, tenant_id, event_name, ari_filters, status, attempts,
                    next_attempt_at, created_at)
                """,
            deliveries.map { delivery in
                [
                    delivery.id, delivery.eventId.text, delivery.webhookId.text, delivery.tenantId.text,
                    delivery.eventName, delivery.ariFiltersText, delivery.status.rawValue, delivery.attempts,
                    delivery.nextAttemptAt.map(Timestamp.millis), Timestamp.millis(delivery.createdAt),
                ]
            }, db)
    }

    /// Stores deferred fan-outs, a row a part; the dispatchers make their deliveries
    /// (``expandFanOuts()``).
    static func write(_ fanOuts: [DeferredFanOut], _ db: Database) throws {
        try insert(
            into: "fan_outs (event_id, part, tenant_id, targets, size, created_at)",
            fanOuts.flatMap { fanOut in
                fanOut.parts.map { part -> [(any DatabaseValueConvertible)?] in
                    [
                        fanOut.eventId.text, part.number, fanOut.tenantId.text, DeferredFanOut.text(of: part.targets),
                        part.targets.count, Timestamp.millis(fanOut.createdAt),
                    ]
                }
            }, db)
    }

    /// Inserts `rows` (each the values of the columns `table` names, in order), ``rowsPerInsert``
    /// rows a statement.
    static func insert(into table: String, _ rows: [[(any DatabaseValueConvertible)?]], _ db: Database) throws {
        guard let width = rows.first?.count else { return }
        let row = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + rowsPerInsert, rows.count)]
            try db.cachedStatement(
                sql: "INSERT INTO \(table) VALUES " + Array(repeating: row, count: chunk.count).joined(separator: ", ")
            ).execute(arguments: StatementArguments(chunk.flatMap { $0 }))
            start = chunk.endIndex
        }
    }

    /// Rows one INSERT statement writes (ten parameters each; SQLite takes 32,766).
    static let rowsPerInsert = 50
}
