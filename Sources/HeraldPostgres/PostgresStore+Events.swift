import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: EventStore {
    public func ingest(_ events: [Event], tenantId: UUID, now: Date) async throws -> [IngestResult] {
        try await ingests.submit(IngestRequest(events: events, tenantId: tenantId, now: now))
    }

    /// Concurrent ingests in one transaction. One whose tenant is gone fails alone; when a
    /// statement fails (another process stored the same idempotency key meanwhile), the transaction
    /// is void and each ingest runs again alone.
    static func commit(_ requests: [IngestRequest], client: PostgresClient, routes: RouteCache, logger: Logger) async
        -> [Result<[IngestResult], any Error>]
    {
        if requests.count > 1 {
            do {
                return try await transaction(client: client, logger: logger) { connection in
                    var results: [Result<[IngestResult], any Error>] = []
                    var makesWork = false
                    // The requests share one budget of deliveries written now.
                    var budget = DeferredFanOut.threshold
                    for request in requests {
                        let plan: Ingest.Plan
                        do {
                            plan = try Ingest.plan(
                                request.events,
                                facts: try await facts(
                                    Ingest.reads(for: request.events, tenantId: request.tenantId), routes: routes,
                                    connection, logger: logger),
                                now: request.now, budget: budget)
                        } catch let error as StoreError {
                            results.append(.failure(error))
                            continue
                        }
                        try await write(plan, tenantId: request.tenantId, connection, logger: logger)
                        makesWork = makesWork || plan.makesWork
                        budget -= plan.deliveries.count
                        results.append(.success(plan.results))
                    }
                    // Sent with the commit: wakes the workers of every process, this one included.
                    if makesWork { try await notifyWorkers(connection, logger: logger) }
                    return results
                }
            } catch {
                logger.debug("a grouped ingest failed; each runs alone", metadata: ["error": "\(error)"])
            }
        }
        var results: [Result<[IngestResult], any Error>] = []
        for request in requests {
            do {
                results.append(.success(try await ingestAlone(request, client: client, routes: routes, logger: logger)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    static func ingestAlone(_ request: IngestRequest, client: PostgresClient, routes: RouteCache, logger: Logger)
        async throws -> [IngestResult]
    {
        do {
            return try await ingestOnce(request, client: client, routes: routes, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // Another request stored the same idempotency key meanwhile: the retry replays it.
            return try await ingestOnce(request, client: client, routes: routes, logger: logger)
        }
    }

    static func ingestOnce(_ request: IngestRequest, client: PostgresClient, routes: RouteCache, logger: Logger)
        async throws -> [IngestResult]
    {
        try await transaction(client: client, logger: logger) { connection in
            let facts = try await facts(
                Ingest.reads(for: request.events, tenantId: request.tenantId), routes: routes, connection,
                logger: logger)
            let plan = try Ingest.plan(request.events, facts: facts, now: request.now)
            try await write(plan, tenantId: request.tenantId, connection, logger: logger)
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
        _ reads: Ingest.Reads, routes: RouteCache, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Ingest.Facts {
        let tenantId = reads.tenantId
        let tenant = try await connection.query(
            "SELECT demo_mode, webhooks_version FROM tenants WHERE id = \(tenantId)", logger: logger
        ).all { try ($0.value("demo_mode", as: Bool.self), $0.value("webhooks_version", as: Int64.self)) }.first
        var facts = Ingest.Facts(demoMode: tenant?.0)
        guard let version = tenant?.1 else { return facts }
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
            ).all(WebhookRoute.init(postgres:)) {
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

    /// The primitives ingest writes with.
    static func write(_ plan: Ingest.Plan, tenantId: UUID, _ connection: PostgresConnection, logger: Logger)
        async throws
    {
        for snapshot in plan.snapshots {
            try await connection.query(
                """
                INSERT INTO entity_snapshots (tenant_id, kind, entity_id, body, updated_at)
                VALUES (\(tenantId), \(snapshot.key.kind), \(snapshot.key.id), \(snapshot.body.encodedString()),
                    \(Timestamp.millis(snapshot.updatedAt)))
                ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                """, logger: logger)
        }
        // One statement for all the events and one for all the deliveries, however many: a fan-out
        // to ten thousand webhooks is one round trip, not ten thousand. Nullable columns travel as
        // a value and a presence flag (arrays of optionals do not).
        if !plan.events.isEmpty {
            let events = plan.events
            let none = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            try await connection.query(
                """
                INSERT INTO events (id, tenant_id, property_id, name, user_id, payload, occurred_at, idempotency_key,
                    test, created_at)
                SELECT id, tenant_id, CASE WHEN has_property THEN property_id END, name,
                    CASE WHEN has_user THEN user_id END, payload, occurred_at, CASE WHEN has_key THEN key END, test,
                    created_at
                FROM UNNEST(\(events.map(\.id))::uuid[], \(events.map(\.tenantId))::uuid[],
                    \(events.map { $0.propertyId ?? none })::uuid[], \(events.map { $0.propertyId != nil })::bool[],
                    \(events.map(\.name))::text[], \(events.map { $0.userId ?? "" })::text[],
                    \(events.map { $0.userId != nil })::bool[], \(events.map { $0.payload.encodedString() })::text[],
                    \(events.map { Timestamp.millis($0.occurredAt) })::bigint[],
                    \(events.map { $0.idempotencyKey ?? "" })::text[], \(events.map { $0.idempotencyKey != nil })::bool[],
                    \(events.map(\.isTest))::bool[], \(events.map { Timestamp.millis($0.createdAt) })::bigint[])
                    AS e(id, tenant_id, property_id, has_property, name, user_id, has_user, payload, occurred_at, key,
                        has_key, test, created_at)
                """, logger: logger)
        }
        try await insert(plan.deliveries, connection, logger: logger)
        for fanOut in plan.fanOuts {
            let parts = fanOut.parts
            try await connection.query(
                """
                INSERT INTO fan_outs (event_id, part, tenant_id, targets, size, created_at)
                SELECT \(fanOut.eventId), part, \(fanOut.tenantId), targets, size, \(Timestamp.millis(fanOut.createdAt))
                FROM UNNEST(\(parts.map { Int64($0.number) })::bigint[],
                    \(parts.map { DeferredFanOut.text(of: $0.targets) })::text[],
                    \(parts.map { Int64($0.targets.count) })::bigint[]) AS p(part, targets, size)
                """, logger: logger)
        }
    }

    /// Inserts new deliveries in one statement.
    static func insert(_ deliveries: [Delivery], _ connection: PostgresConnection, logger: Logger) async throws {
        if !deliveries.isEmpty {
            try await connection.query(
                """
                INSERT INTO deliveries (id, event_id, webhook_id, tenant_id, event_name, ari_filters, status, attempts,
                    next_attempt_at, created_at)
                SELECT id, event_id, webhook_id, tenant_id, event_name, CASE WHEN has_filters THEN filters END, status,
                    attempts, CASE WHEN has_due THEN due END, created_at
                FROM UNNEST(\(deliveries.map(\.id))::text[], \(deliveries.map(\.eventId))::uuid[],
                    \(deliveries.map(\.webhookId))::uuid[], \(deliveries.map(\.tenantId))::uuid[],
                    \(deliveries.map(\.eventName))::text[], \(deliveries.map { $0.ariFiltersText ?? "" })::text[],
                    \(deliveries.map { $0.ariFiltersText != nil })::bool[], \(deliveries.map(\.status.rawValue))::text[],
                    \(deliveries.map { Int64($0.attempts) })::bigint[],
                    \(deliveries.map { $0.nextAttemptAt.map(Timestamp.millis) ?? 0 })::bigint[],
                    \(deliveries.map { $0.nextAttemptAt != nil })::bool[],
                    \(deliveries.map { Timestamp.millis($0.createdAt) })::bigint[])
                    AS d(id, event_id, webhook_id, tenant_id, event_name, filters, has_filters, status, attempts, due,
                        has_due, created_at)
                """, logger: logger)
        }
    }
}
