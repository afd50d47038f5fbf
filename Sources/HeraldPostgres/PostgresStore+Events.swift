import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: EventStore {
    public func ingest(_ request: IngestRequest) async throws -> [IngestResult] {
        try await ingests.submit(request)
    }

    /// Concurrent ingests, committed together, and whether they made work (the caller wakes the
    /// workers). One whose tenant is gone (or whose key is dead) fails alone; when a statement
    /// fails (another process stored the same idempotency key meanwhile), nothing of the group
    /// was written and each ingest runs again alone.
    static func commit(
        _ requests: [IngestRequest], client: PostgresClient, routes: RouteCache, box: SecretBox, logger: Logger
    ) async -> (results: [Result<[IngestResult], any Error>], makesWork: Bool) {
        if requests.count > 1 {
            do {
                return try await ingest(requests, client: client, routes: routes, box: box, logger: logger)
            } catch {
                logger.debug("a grouped ingest failed; each runs alone", metadata: ["error": "\(error)"])
            }
        }
        var results: [Result<[IngestResult], any Error>] = []
        var makesWork = false
        for request in requests {
            do {
                let alone = try await ingestAlone(request, client: client, routes: routes, box: box, logger: logger)
                results.append(alone.result)
                makesWork = makesWork || alone.makesWork
            } catch {
                results.append(.failure(error))
            }
        }
        return (results, makesWork)
    }

    static func ingestAlone(
        _ request: IngestRequest, client: PostgresClient, routes: RouteCache, box: SecretBox, logger: Logger
    ) async throws -> (result: Result<[IngestResult], any Error>, makesWork: Bool) {
        do {
            let done = try await ingest([request], client: client, routes: routes, box: box, logger: logger)
            return (done.results[0], done.makesWork)
        } catch let error as PSQLError
            where ["23505", "23503", "40P01", "40001"].contains(error.serverInfo?[.sqlState])
        {
            // Another request stored the same idempotency key meanwhile (the retry replays it), a
            // webhook or the tenant went meanwhile (the retry reads them again), or the transaction
            // lost a deadlock or a serialization check: nothing of it was written.
            logger.debug("an ingest runs again", metadata: ["error": "\(error)"])
            let done = try await ingest([request], client: client, routes: routes, box: box, logger: logger)
            return (done.results[0], done.makesWork)
        }
    }

    /// Reads the requests' facts (one statement per tenant, however many requests), plans them
    /// together and writes the plans in one statement. Only entity states need a transaction
    /// around it all (they are read locked and written back); without them, the one write is
    /// atomic on its own, and a group costs two round trips. Under READ COMMITTED a transaction
    /// would not make the reads any more current: each statement reads what was committed when
    /// it began.
    static func ingest(
        _ requests: [IngestRequest], client: PostgresClient, routes: RouteCache, box: SecretBox, logger: Logger
    ) async throws -> (results: [Result<[IngestResult], any Error>], makesWork: Bool) {
        // Tenants in id order, so that concurrent groups lock snapshots in one order.
        let reads = Ingest.reads(forGroup: requests).sorted { $0.tenantId < $1.tenantId }
        @Sendable func run(_ connection: PostgresConnection) async throws -> (
            results: [Result<[IngestResult], any Error>], makesWork: Bool
        ) {
            var facts: [UUID: Ingest.Facts] = [:]
            for reads in reads {
                facts[reads.tenantId] = try await Self.facts(
                    reads, routes: routes, box: box, connection, logger: logger)
            }
            let plans = Ingest.plan(group: requests, facts: facts)
            let written = zip(plans, requests).compactMap { plan, request in
                (try? plan.get()).map { (plan: $0, tenantId: request.tenantId) }
            }
            try await write(written, connection, logger: logger)
            return (
                plans.map { plan in plan.map(\.results).mapError { $0 as any Error } },
                written.contains { $0.plan.makesWork }
            )
        }
        if reads.contains(where: { !$0.entities.isEmpty }) {
            return try await transaction(client: client, logger: logger) { try await run($0) }
        }
        return try await client.withConnection { try await run($0) }
    }

    public func event(id: UUID) async throws -> Event? {
        try await client.query("SELECT * FROM events WHERE id = \(id)", logger: logger).all(Event.init(postgres:)).first
    }

    /// The primitives ingest reads with; snapshots are locked until the commit. Candidate webhooks
    /// come from `routes` where it holds them at the tenant's current webhooks version.
    static func facts(
        _ reads: Ingest.Reads, routes: RouteCache, box: SecretBox, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Ingest.Facts {
        let tenantId = reads.tenantId
        // With the tenant, in the same statement: which of the events' properties are the
        // tenant's, and which of the posting keys are live.
        let tenant = try await connection.all(
            Prepared.TenantFacts(id: tenantId, propertyIds: reads.propertyIds.compactMap { $0 }, keyIds: reads.keyIds),
            logger: logger
        ).first
        var facts = Ingest.Facts(
            demoMode: tenant?.demoMode, properties: Set(tenant?.properties ?? []), liveKeys: Set(tenant?.liveKeys ?? [])
        )
        guard let version = tenant?.webhooksVersion else { return facts }
        if !reads.idempotencyKeys.isEmpty {
            let earlier = try await connection.query(
                """
                SELECT e.*, (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id)
                    + (SELECT COALESCE(SUM(f.size), 0) FROM fan_outs f WHERE f.event_id = e.id)
                    AS delivery_count
                FROM events e WHERE e.tenant_id = \(tenantId) AND e.idempotency_key = ANY(\(reads.idempotencyKeys))
                """, logger: logger
            ).all { row in
                IngestResult(
                    event: try Event(postgres: row), deliveries: try row.value("delivery_count", as: Int.self),
                    replayed: true)
            }
            for result in earlier { if let key = result.event.idempotencyKey { facts.earlier[key] = result } }
        }
        if !reads.entities.isEmpty {
            let rows = try await connection.query(
                """
                SELECT kind, entity_id, body FROM entity_snapshots WHERE tenant_id = \(tenantId)
                    AND (kind, entity_id) IN (SELECT * FROM UNNEST(\(reads.entities.map(\.kind))::text[],
                        \(reads.entities.map(\.id))::text[]))
                ORDER BY kind, entity_id
                FOR UPDATE
                """, logger: logger
            ).all { row in
                (
                    EntityKey(kind: try row.value("kind"), id: try row.value("entity_id")),
                    try row.value("body", as: String.self)
                )
            }
            for (key, body) in rows { facts.snapshots[key] = try? JSONValue.decode(body) }
        }
        var (scopes, missing) = routes.lookup(tenantId: tenantId, propertyIds: reads.propertyIds, version: version)
        if !missing.isEmpty {
            let properties = missing.compactMap(\.propertyId)
            let globals = missing.contains { $0.propertyId == nil }
            var loaded = Dictionary(uniqueKeysWithValues: missing.map { ($0, [WebhookRoute]()) })
            for route in try await connection.query(
                """
                SELECT id, tenant_id, property_id, is_global, is_active, receives_test_events, event_mask, callback_url
                FROM webhooks WHERE tenant_id = \(tenantId) AND is_active
                    AND ((is_global AND \(globals)) OR property_id = ANY(\(properties)))
                """, logger: logger
            ).all({ try WebhookRoute(postgres: $0, box: box) }) {
                loaded[
                    RouteCache.Key(tenantId: tenantId, propertyId: route.isGlobal ? nil : route.propertyId), default: []
                ]
                .append(route)
            }
            routes.store(loaded, version: version)
            scopes.merge(loaded) { _, read in read }
        }
        facts.webhooks = RouteCache.candidates(tenantId: tenantId, propertyIds: reads.propertyIds, scopes: scopes)
        return facts
    }

    /// The primitives ingest writes with: the plans of one commit, each with its tenant. Entity
    /// states first (only in a transaction: see ``ingest(_:client:routes:box:logger:)``), then
    /// everything else in one statement.
    static func write(
        _ plans: [(plan: Ingest.Plan, tenantId: UUID)], _ connection: PostgresConnection, logger: Logger
    ) async throws {
        // Each entity's last state once, in one order for every transaction (no deadlock between two).
        var snapshots: [SnapshotKey: EntitySnapshot] = [:]
        for (plan, tenantId) in plans {
            for snapshot in plan.snapshots {
                snapshots[SnapshotKey(tenant: tenantId, kind: snapshot.key.kind, id: snapshot.key.id)] = snapshot
            }
        }
        for (key, snapshot) in snapshots.sorted(by: { $0.key < $1.key }) {
            try await connection.query(
                """
                INSERT INTO entity_snapshots (tenant_id, kind, entity_id, body, updated_at)
                VALUES (\(key.tenant), \(key.kind), \(key.id), \(snapshot.body.encodedString()),
                    \(Timestamp.millis(snapshot.updatedAt)))
                ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                """, logger: logger)
        }
        // One statement for all the events, deliveries and deferred fan-outs, however many: a
        // fan-out to ten thousand webhooks is one round trip, not ten thousand.
        let events = plans.flatMap(\.plan.events)
        guard !events.isEmpty else { return }
        _ = try await connection.all(
            Prepared.InsertIngest(
                events: events, deliveries: plans.flatMap(\.plan.deliveries), fanOuts: plans.flatMap(\.plan.fanOuts)),
            logger: logger)
    }

    /// Inserts new deliveries in one statement.
    static func insert(_ deliveries: [Delivery], _ connection: PostgresConnection, logger: Logger) async throws {
        if !deliveries.isEmpty {
            _ = try await connection.all(Prepared.InsertDeliveries(deliveries: deliveries), logger: logger)
        }
    }
}

/// Where an entity snapshot is stored, in the order transactions write them.
struct SnapshotKey: Hashable, Comparable {
    var tenant: UUID
    var kind: String
    var id: String

    static func < (lhs: SnapshotKey, rhs: SnapshotKey) -> Bool {
        (lhs.tenant, lhs.kind, lhs.id) < (rhs.tenant, rhs.kind, rhs.id)
    }
}
