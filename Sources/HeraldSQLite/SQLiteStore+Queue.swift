import Foundation
import GRDB
import HeraldCore

extension SQLiteStore: DeliveryQueue {
    public func claim(_ request: ClaimRequest) async throws -> Claim {
        try await pool.write { db in
            let now = Timestamp.millis(request.now)
            // A window of the endpoints with pending deliveries, from where the last claim stopped
            // (wrapping round): a claim costs the same with ten thousand endpoints waiting as with ten.
            let start = claimWindow.start()
            let read = try String.fetchAll(
                db.cachedStatement(sql: Self.endpointWindow), arguments: ["after": start, "window": claimWindow.size])
            var fromBeginning: [String] = []
            if let remainder = claimWindow.remainder(after: start, read: read) {
                fromBeginning = try String.fetchAll(
                    db.cachedStatement(sql: Self.endpointWindow), arguments: ["after": "", "window": remainder])
            }
            let window = claimWindow.finish(start: start, read: read, fromBeginning: fromBeginning)
            let backlog = try Row.decodeAll(
                db.cachedStatement(sql: Self.backlog),
                arguments: [
                    "now": now, "cap": EndpointLimits.maxInFlightRange.upperBound,
                    "hooks": Self.jsonArray(window),
                ],
                EndpointBacklog.init(row:))
            // Judged at the stored resolution, so a time written back compares equal to it.
            let plan = FairClaim.plan(
                backlog, load: request.load, limit: request.limit, now: Timestamp.date(millis: now))
            // Each endpoint's earliest due deliveries, by index: no scan of the whole backlog.
            var picked: [String] = []
            for (webhookId, count) in plan.quotas.sorted(by: { $0.key.text < $1.key.text }) {
                picked += try String.fetchAll(
                    db.cachedStatement(
                        sql: """
                                SELECT id FROM (
                                SELECT * FROM (SELECT id, lease_until AS due FROM deliveries INDEXED BY deliveries_leased
                                    WHERE status = 'in_flight' AND webhook_id = :webhook AND lease_until <= :now
                                    ORDER BY lease_until LIMIT :n)
                                UNION ALL
                                SELECT * FROM (SELECT id, next_attempt_at AS due FROM deliveries
                                    WHERE status = 'pending' AND webhook_id = :webhook AND next_attempt_at <= :now
                                    ORDER BY next_attempt_at LIMIT :n))
                            ORDER BY due LIMIT :n
                            """), arguments: ["webhook": webhookId.text, "now": now, "n": count])
            }
            var ids: [String] = []
            if !picked.isEmpty {
                ids = try String.fetchAll(
                    db.cachedStatement(
                        sql: """
                            UPDATE deliveries SET status = 'in_flight', lease_owner = ?, lease_until = ?
                            WHERE id IN (SELECT value FROM json_each(?))
                            RETURNING id
                            """),
                    arguments: [
                        request.owner, Timestamp.millis(request.now.addingTimeInterval(request.lease)),
                        Self.jsonArray(picked),
                    ])
            }
            for (webhookId, date) in plan.nextSendAt {
                try db.execute(
                    sql: "UPDATE webhooks SET next_send_at = ? WHERE id = ?",
                    arguments: [Timestamp.millis(date), webhookId.text])
            }
            let later = try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT MIN(due) FROM (
                            SELECT MIN(next_attempt_at) AS due FROM deliveries
                                WHERE status = 'pending' AND next_attempt_at > :now
                            UNION ALL
                            SELECT MIN(lease_until) AS due FROM deliveries WHERE status = 'in_flight' AND lease_until > :now)
                        """), arguments: ["now": now]
            ).map(Timestamp.date(millis:))
            // Due work may lie beyond the window: look there at once.
            let wakeAt =
                claimWindow.claimAgain(tookWork: !ids.isEmpty)
                ? request.now : [later, plan.wakeAt].compactMap { $0 }.min()
            guard !ids.isEmpty else { return Claim(jobs: [], wakeAt: wakeAt) }
            let deliveries = try Self.fetch(db, table: "deliveries", ids: ids, Delivery.init(row:))
            let (webhooks, unreadable) = try UnreadableWebhook.partition(
                try Self.fetch(db, table: "webhooks", ids: Set(deliveries.map(\.webhookId.text))) { row in
                    Result { try Webhook(row: row, box: secretBox) }
                })
            let jobs = DispatchJob.assemble(
                deliveries,
                events: try Self.fetch(db, table: "events", ids: Set(deliveries.map(\.eventId.text)), Event.init(row:)),
                webhooks: webhooks,
                tenants: try Self.fetch(
                    db, table: "tenants", ids: Set(deliveries.map(\.tenantId.text)), Tenant.init(row:)))
            return Claim(jobs: jobs, wakeAt: wakeAt, unreadable: unreadable)
        }
    }

    /// Up to `:window` endpoints with pending deliveries, in id order after `:after`, found by
    /// skipping through the pending index: one seek per endpoint.
    static let endpointWindow = """
        WITH RECURSIVE hooks(webhook_id, n) AS (
            SELECT (SELECT webhook_id FROM deliveries WHERE status = 'pending' AND webhook_id > :after
                    ORDER BY webhook_id LIMIT 1), 1
            UNION ALL
            SELECT (SELECT d.webhook_id FROM deliveries d
                    WHERE d.status = 'pending' AND d.webhook_id > hooks.webhook_id ORDER BY d.webhook_id LIMIT 1), n + 1
            FROM hooks WHERE hooks.webhook_id IS NOT NULL AND n < :window
        )
        SELECT webhook_id FROM hooks WHERE webhook_id IS NOT NULL
        """

    /// Each endpoint with due deliveries (pending and due among `:hooks`, a JSON array of the
    /// window's endpoints, or in flight with an expired lease at `:now`): its state, its sends in
    /// flight, when its earliest came due and how many wait (up to `:cap`). Leases are read
    /// through the index of leased rows alone (left to itself, the planner groups by walking
    /// every delivery ever made through the webhook index, and claims slow as history grows).
    static let backlog = """
        WITH hooks(webhook_id) AS (SELECT value FROM json_each(:hooks)),
        pending AS (
            SELECT webhook_id,
                (SELECT MIN(d.next_attempt_at) FROM deliveries d
                 WHERE d.status = 'pending' AND d.webhook_id = hooks.webhook_id) AS first_due,
                (SELECT COUNT(*) FROM (SELECT 1 FROM deliveries d
                 WHERE d.status = 'pending' AND d.webhook_id = hooks.webhook_id AND d.next_attempt_at <= :now
                 LIMIT :cap)) AS waiting
            FROM hooks WHERE webhook_id IS NOT NULL
        ),
        due AS (
            SELECT webhook_id, MIN(first_due) AS first_due, SUM(waiting) AS waiting FROM (
                SELECT webhook_id, first_due, waiting FROM pending WHERE first_due <= :now
                UNION ALL
                SELECT webhook_id, MIN(lease_until), COUNT(*) FROM deliveries INDEXED BY deliveries_leased
                WHERE status = 'in_flight' AND lease_until <= :now GROUP BY webhook_id)
            GROUP BY webhook_id
        )
        SELECT w.id, w.tenant_id, w.is_active, w.max_in_flight, w.rate_limit, w.next_send_at, w.circuit_failures,
            w.circuit_opened_at, w.circuit_probe_at, w.circuit_failed_probes, due.waiting, due.first_due,
            COALESCE(busy.n, 0) AS in_flight
        FROM due
        JOIN webhooks w ON w.id = due.webhook_id
        LEFT JOIN (SELECT webhook_id, COUNT(*) AS n FROM deliveries INDEXED BY deliveries_leased
                   WHERE status = 'in_flight' AND lease_until > :now GROUP BY webhook_id) AS busy
            ON busy.webhook_id = due.webhook_id
        """

    @discardableResult
    public func settle(_ settlements: [Settlement]) async throws -> [CircuitTransition] {
        guard !settlements.isEmpty else { return [] }
        return try await pool.write { db in
            var transitions: [CircuitTransition] = []
            var held: [Settlement] = []
            for settlement in settlements {
                let attempt = settlement.attempt
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO attempts (delivery_id, n, started_at, duration_ms, status_code,
                            response_body, error)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(
                    arguments: [
                        attempt.deliveryId, attempt.number, Timestamp.millis(attempt.startedAt), attempt.durationMs,
                        attempt.statusCode, attempt.responseBody, attempt.error,
                    ])
                let row = settlement.row
                try db.cachedStatement(
                    sql: """
                        UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_owner = NULL,
                            lease_until = NULL, last_status_code = ?, last_error = ?, settled_at = ?
                        WHERE id = ? AND lease_owner = ? AND status = 'in_flight'
                        """
                ).execute(
                    arguments: [
                        row.status.rawValue, attempt.number, row.nextAttemptAt.map(Timestamp.millis),
                        attempt.statusCode,
                        attempt.error, row.settledAt.map(Timestamp.millis), settlement.deliveryId,
                        settlement.leaseOwner,
                    ])
                // A worker that lost the lease logs its attempt but no longer speaks for the webhook.
                if db.changesCount > 0 { held.append(settlement) }
            }
            // Each endpoint's settlements fold into one change of its failure state and of its circuit.
            for endpoint in EndpointSettlements.byEndpoint(held) {
                let webhookId = endpoint.webhookId.text
                let failure = endpoint.failure
                switch failure.failing {
                case .untouched: break
                case .cleared:
                    try db.cachedStatement(
                        sql: "UPDATE webhooks SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL"
                    ).execute(arguments: [webhookId])
                case .set(let since):
                    try db.cachedStatement(sql: "UPDATE webhooks SET failing_since = ? WHERE id = ?")
                        .execute(arguments: [Timestamp.millis(since), webhookId])
                case .keptOr(let since):
                    try db.cachedStatement(
                        sql: "UPDATE webhooks SET failing_since = COALESCE(failing_since, ?) WHERE id = ?"
                    ).execute(arguments: [Timestamp.millis(since), webhookId])
                }
                if let reason = failure.disable, let endedAt = endpoint.endedAt {
                    try db.cachedStatement(
                        sql: "UPDATE webhooks SET is_active = 0, disabled_reason = ?, updated_at = ? WHERE id = ?"
                    ).execute(arguments: [reason, Timestamp.millis(endedAt), webhookId])
                }
                guard endpoint.movesCircuit,
                    let current = try Row.decodeOne(
                        db.cachedStatement(sql: "SELECT \(Self.circuitColumns) FROM webhooks WHERE id = ?"),
                        arguments: [webhookId], Circuit.init(row:))
                else { continue }
                let (circuit, moves) = endpoint.circuit(from: current)
                transitions += moves
                guard circuit != current else { continue }
                try db.cachedStatement(
                    sql: """
                        UPDATE webhooks SET circuit_failures = ?, circuit_opened_at = ?, circuit_probe_at = ?,
                            circuit_failed_probes = ?
                        WHERE id = ?
                        """
                ).execute(arguments: [
                    circuit.failures, circuit.openedAt.map(Timestamp.millis), circuit.probeAt.map(Timestamp.millis),
                    circuit.failedProbes, webhookId,
                ])
            }
            return transitions
        }
    }

    static let circuitColumns = "circuit_failures, circuit_opened_at, circuit_probe_at, circuit_failed_probes"

    public func queueStats(now: Date, cap: Int) async throws -> QueueStats {
        try await pool.read { db in
            let at = Timestamp.millis(now)
            func count(_ condition: String, _ arguments: StatementArguments) throws -> Int {
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE \(condition) LIMIT ?)",
                    arguments: arguments + [cap]) ?? 0
            }
            return QueueStats(
                dueNow: try count("status = 'pending' AND next_attempt_at <= ?", [at]),
                scheduled: try count("status = 'pending' AND next_attempt_at > ?", [at]),
                inFlight: try count("status = 'in_flight'", []),
                oldestDue: try Int64.fetchOne(
                    db,
                    sql:
                        "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?",
                    arguments: [at]
                ).map(Timestamp.date(millis:)),
                openCircuits: try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM (SELECT 1 FROM webhooks WHERE circuit_opened_at IS NOT NULL AND is_active LIMIT ?)",
                    arguments: [cap]) ?? 0,
                dueByTenant: try busiest(
                    "SELECT tenant_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? LIMIT ?",
                    [at, cap]),
                openCircuitsByTenant: try busiest(
                    "SELECT tenant_id FROM webhooks WHERE circuit_opened_at IS NOT NULL AND is_active LIMIT ?", [cap]))
            /// The tenants found most often among the rows `rows` selects, with their counts.
            func busiest(_ rows: String, _ arguments: StatementArguments) throws -> [UUID: Int] {
                var counts: [UUID: Int] = [:]
                let cursor = try Row.fetchCursor(
                    db,
                    sql:
                        "SELECT tenant_id, COUNT(*) FROM (\(rows)) GROUP BY tenant_id ORDER BY 2 DESC LIMIT \(QueueStats.busiest)",
                    arguments: arguments)
                while let row = try cursor.next() {
                    if let id = UUID(text: row[0] as String) { counts[id] = row[1] }
                }
                return counts
            }
        }
    }

    public func nextDueDate() async throws -> Date? {
        try await pool.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT MIN(due) FROM (
                        SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status = 'pending'
                        UNION ALL
                        SELECT MIN(lease_until) AS due FROM deliveries WHERE status = 'in_flight'
                        UNION ALL
                        SELECT MIN(created_at) AS due FROM fan_outs)
                    """
            ).map(Timestamp.date(millis:))
        }
    }

    public func expandFanOuts() async throws -> FanOutProgress {
        // Most calls find none: ask without the writer.
        guard try pointRead({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM fan_outs)") ?? false })
        else { return FanOutProgress(created: 0, remaining: false) }
        let progress = try await pool.write { db in try Self.expandFanOut(db) }
        if progress.created > 0 { work.announce() }
        return progress
    }

    /// The oldest parts of deferred fan-outs, as many as ``DeferredFanOut/partsToTake(sizes:)`` says.
    static func expandFanOut(_ db: Database) throws -> FanOutProgress {
        let oldest = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT rowid, size FROM fan_outs ORDER BY created_at, event_id, part LIMIT ?"),
            arguments: [DeferredFanOut.partsPerExpansion])
        let taken = oldest.prefix(DeferredFanOut.partsToTake(sizes: oldest.map { $0["size"] }))
        var deliveries: [Delivery] = []
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    DELETE FROM fan_outs WHERE rowid IN (SELECT value FROM json_each(?))
                    RETURNING event_id, tenant_id, targets, created_at
                    """),
            arguments: [JSONValue.array(taken.map { .int($0["rowid"]) }).encodedString()])
        {
            guard let targets = DeferredFanOut.targets(fromText: row["targets"]) else {
                throw CorruptRow(table: "fan_outs", column: "targets")
            }
            deliveries += DeferredFanOut(
                eventId: try row.uuid("event_id", table: "fan_outs"),
                tenantId: try row.uuid("tenant_id", table: "fan_outs"), createdAt: row.date("created_at"),
                targets: targets
            ).deliveries(of: targets)
        }
        // None for webhooks deleted since the event.
        let existing = Set(
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM webhooks WHERE id IN (SELECT value FROM json_each(?))"),
                arguments: [JSONValue.array(Set(deliveries.map(\.webhookId)).map { .string($0.text) }).encodedString()])
        )
        let made = deliveries.filter { existing.contains($0.webhookId.text) }
        try insert(made, db)
        let remaining =
            try taken.count < oldest.count
            || (Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM fan_outs)") ?? false)
        return FanOutProgress(created: made.count, remaining: remaining)
    }

    public func workAvailable() -> AsyncStream<Void> { work.subscribe() }

    /// Rows of `table` by id, through one prepared statement per table (the ids go as one JSON
    /// array, so the statement's text does not change with their number).
    static func fetch<T>(_ db: Database, table: String, ids: some Collection<String>, _ make: (Row) throws -> T)
        throws -> [T]
    {
        try Row.decodeAll(
            db.cachedStatement(sql: "SELECT * FROM \(table) WHERE id IN (SELECT value FROM json_each(?))"),
            arguments: [jsonArray(Array(ids))], make)
    }

    static func jsonArray(_ strings: [String]) -> String {
        JSONValue.array(strings.map(JSONValue.string)).encodedString()
    }
}

extension SQLiteStore: DeliveryLog {
    public func deliveries(webhookId: UUID, status: Delivery.Status?, page: PageRequest) async throws -> Page<Delivery>
    {
        try await pool.read { db in
            var filter = "WHERE webhook_id = ?"
            var arguments: StatementArguments = [webhookId.text]
            if let status {
                filter += " AND status = ?"
                arguments += [status.rawValue]
            }
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM deliveries \(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: arguments + [page.limit, page.offset])
            return Page(items: try rows.map(Delivery.init(row:)), page: page.page, limit: page.limit, total: total)
        }
    }

    public func delivery(id: String) async throws -> Delivery? {
        try pointRead { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM deliveries WHERE id = ?"), arguments: [id]).map(
                Delivery.init(row:))
        }
    }

    public func attempts(deliveryId: String) async throws -> [DeliveryAttempt] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n", arguments: [deliveryId]
            )
            .map(DeliveryAttempt.init(row:))
        }
    }

    public func requeue(deliveryId: String, now: Date) async throws -> Delivery? {
        let delivery = try await pool.write { db in
            try Row.fetchOne(
                db,
                sql: """
                    UPDATE deliveries SET status = 'pending', next_attempt_at = ?, settled_at = NULL
                    WHERE id = ? AND status IN ('succeeded', 'failed', 'pending')
                    RETURNING *
                    """,
                arguments: [Timestamp.millis(now), deliveryId]
            ).map(Delivery.init(row:))
        }
        if delivery != nil { work.announce() }
        return delivery
    }

    public func recover(webhookId: UUID, since: Date, until: Date, now: Date) async throws -> Int {
        let count = try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET status = 'pending', next_attempt_at = ?, settled_at = NULL
                    WHERE webhook_id = ? AND status = 'failed' AND created_at >= ? AND created_at < ?
                    """,
                arguments: [Timestamp.millis(now), webhookId.text, Timestamp.millis(since), Timestamp.millis(until)])
            return db.changesCount
        }
        if count > 0 { work.announce() }
        return count
    }
}
