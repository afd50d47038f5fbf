import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: EventStore {
    public func ingest(_ request: IngestRequest) async throws -> [IngestResult] {
        try await ingests.submit(request)
    }

    /// Concurrent ingests in one transaction. One whose tenant is gone fails alone; when a
    /// statement fails (another process stored the same idempotency key meanwhile), the transaction
    /// is void and each ingest runs again alone.
    static func commit(
        _ requests: [IngestRequest], client: PostgresClient, routes: RouteCache, box: SecretBox, logger: Logger
    ) async
        -> [Result<[IngestResult], any Error>]
    {
        if requests.count > 1 {
            do {
                return try await transaction(client: client, logger: logger) { connection in
                    // One read of each tenant's facts and one statement for each table, however
                    // many requests: a group costs a handful of round trips, not a handful each.
                    var facts: [UUID: Ingest.Facts] = [:]
                    // Tenants in id order, so that concurrent groups lock snapshots in one order.
                    for reads in Ingest.reads(forGroup: requests).sorted(by: { $0.tenantId < $1.tenantId }) {
                        facts[reads.tenantId] = try await Self.facts(
                            reads, routes: routes, box: box, connection, logger: logger)
                    }
                    let plans = Ingest.plan(group: requests, facts: facts)
                    let written = zip(plans, requests).compactMap { plan, request in
                        (try? plan.get()).map { (plan: $0, tenantId: request.tenantId) }
                    }
                    try await write(written, connection, logger: logger)
                    // Sent with the commit: wakes the workers of every process, this one included.
                    if written.contains(where: { $0.plan.makesWork }) {
                        try await notifyWorkers(connection, logger: logger)
                    }
                    return plans.map { plan in plan.map(\.results).mapError { $0 as any Error } }
                }
            } catch {
                logger.debug("a grouped ingest failed; each runs alone", metadata: ["error": "\(error)"])
            }
        }
        var results: [Result<[IngestResult], any Error>] = []
        for request in requests {
            do {
                results.append(
                    .success(try await ingestAlone(request, client: client, routes: routes, box: box, logger: logger)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    static func ingestAlone(
        _ request: IngestRequest, client: PostgresClient, routes: RouteCache, box: SecretBox, logger: Logger
    )
        async throws -> [IngestResult]
    {
        do {
            return try await ingestOnce(request, client: client, routes: routes, box: box, logger: logger)
        } catch let error as PSQLError where ["23505", "40P01", "40001"].contains(error.serverInfo?[.sqlState]) {
            // Another request stored the same idempotency key meanwhile (the retry replays it), or
            // the transaction lost a deadlock or a serialization check: nothing of it was written.
            return try await ingestOnce(request, client: client, routes: routes, box: box, logger: logger)
        }
    }

    static func ingestOnce(
        _ request: IngestRequest, client: PostgresClient, routes: RouteCache, box: SecretBox, logger: Logger
    )
        async throws -> [IngestResult]
    {
        try await transaction(client: client, logger: logger) { connection in
            let facts = try await facts(
                Ingest.reads(for: request), routes: routes, box: box, connection, logger: logger)
            let plan = try Ingest.plan(request.events, facts: facts, now: request.now, keyId: request.keyId)
            try await write([(plan, request.tenantId)], connection, logger: logger)
            // Sent with the commit: wakes the workers of every process, this one included.
            if plan.makesWork { try await notifyWorkers(connection, logger: logger) }
            return plan.results
        }
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

    /// The primitives ingest writes with: the plans of one transaction, each with its tenant.
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
        // One statement for all the events and one for all the deliveries, however many: a fan-out
        // to ten thousand webhooks is one round trip, not ten thousand.
        let events = plans.flatMap(\.plan.events)
        if !events.isEmpty { _ = try await connection.all(Prepared.InsertEvents(events: events), logger: logger) }
        try await insert(plans.flatMap(\.plan.deliveries), connection, logger: logger)
        // Every part of every deferred fan-out, in one statement.
        let parts = plans.flatMap(\.plan.fanOuts).flatMap { fanOut in
            fanOut.parts.map { (fanOut: fanOut, number: $0.number, targets: $0.targets) }
        }
        if !parts.isEmpty {
            try await connection.query(
                """
                INSERT INTO fan_outs (event_id, part, tenant_id, targets, size, created_at)
                SELECT * FROM UNNEST(\(parts.map(\.fanOut.eventId))::uuid[], \(parts.map { Int64($0.number) })::bigint[],
                    \(parts.map(\.fanOut.tenantId))::uuid[], \(parts.map { DeferredFanOut.text(of: $0.targets) })::text[],
                    \(parts.map { Int64($0.targets.count) })::bigint[],
                    \(parts.map { Timestamp.millis($0.fanOut.createdAt) })::bigint[])
                """, logger: logger)
        }
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
