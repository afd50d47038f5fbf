import Foundation

/// Ingest: how posted events become stored events, entity snapshots and deliveries. Written once
/// here; a store runs it as one commit (its writes atomic, its reads just before them):
///
/// 1. ``reads(for:tenantId:)`` names what must be read;
/// 2. the store reads it into ``Facts`` with its primitives (the tenant's demo flag, earlier events
///    by idempotency key, entity snapshots, active webhooks by property);
/// 3. ``plan(_:facts:now:)`` decides, without I/O;
/// 4. the store writes the ``Plan`` (inserts events and deliveries, upserts snapshots) and commits.
public enum Ingest {
    /// What the decision needs from the database.
    public struct Reads: Sendable, Hashable {
        public var tenantId: UUID
        /// Keys to look earlier events up by.
        public var idempotencyKeys: [String]
        /// OCTO entities whose last state the diffs are computed against.
        public var entities: [EntityKey]
        /// Properties whose active webhooks (with the tenant's global ones) are candidates; nil
        /// stands for events without a property (global webhooks only). Each is also checked to
        /// be the tenant's.
        public var propertyIds: [UUID?]
        /// The API keys that posted the events, to check live.
        public var keyIds: [UUID] = []
    }

    /// What the store read for ``Reads``.
    public struct Facts: Sendable {
        /// nil: the tenant does not exist.
        public var demoMode: Bool?
        /// Events stored before, by idempotency key, with the deliveries each made.
        public var earlier: [String: IngestResult]
        /// The last state of each entity seen.
        public var snapshots: [EntityKey: JSONValue]
        /// Active candidate webhooks for each of ``Reads/propertyIds``: that property's and the global ones.
        public var webhooks: [UUID?: [WebhookRoute]]
        /// Those of ``Reads/propertyIds`` that are the tenant's.
        public var properties: Set<UUID>
        /// Those of ``Reads/keyIds`` that are the tenant's and not revoked.
        public var liveKeys: Set<UUID>

        public init(
            demoMode: Bool?, earlier: [String: IngestResult] = [:], snapshots: [EntityKey: JSONValue] = [:],
            webhooks: [UUID?: [WebhookRoute]] = [:], properties: Set<UUID> = [], liveKeys: Set<UUID> = []
        ) {
            self.demoMode = demoMode
            self.earlier = earlier
            self.snapshots = snapshots
            self.webhooks = webhooks
            self.properties = properties
            self.liveKeys = liveKeys
        }
    }

    /// What to write, and what to answer.
    public struct Plan: Sendable {
        /// One per posted event, in order.
        public var results: [IngestResult] = []
        public var events: [Event] = []
        public var deliveries: [Delivery] = []
        /// Deliveries of events above ``DeferredFanOut/threshold``, stored as targets.
        public var fanOuts: [DeferredFanOut] = []
        /// The new last state of each entity the events were about, one per entity.
        public var snapshots: [EntitySnapshot] = []

        /// Whether the commit makes deliveries due, so that workers are to be woken.
        public var makesWork: Bool { !deliveries.isEmpty || !fanOuts.isEmpty }
    }

    /// What to read before deciding about `events`, posted with `keyIds`.
    public static func reads(for events: [Event], tenantId: UUID, keyIds: [UUID] = []) -> Reads {
        var keys: [String] = []
        var entities: [EntityKey] = []
        var properties: [UUID?] = []
        var seenKeys = Set<String>()
        var seenEntities = Set<EntityKey>()
        var seenProperties = Set<UUID?>()
        for event in events {
            if let key = event.idempotencyKey, seenKeys.insert(key).inserted { keys.append(key) }
            if let entity = EntityKey(of: event), seenEntities.insert(entity).inserted { entities.append(entity) }
            if seenProperties.insert(event.propertyId).inserted { properties.append(event.propertyId) }
        }
        return Reads(
            tenantId: tenantId, idempotencyKeys: keys, entities: entities, propertyIds: properties,
            keyIds: Array(Set(keyIds)).sorted())
    }

    /// What to read before deciding about `request`.
    public static func reads(for request: IngestRequest) -> Reads {
        reads(for: request.events, tenantId: request.tenantId, keyIds: request.keyId.map { [$0] } ?? [])
    }

    /// The events, snapshots and deliveries that `events` make, given what the store read.
    ///
    /// - Nothing is stored when `keyId` (the key that posted them) is not live, or when an event
    ///   names a property the tenant does not have: both are read by the commit that writes,
    ///   so a key revoked or a property deleted a moment before is refused however the request
    ///   was authenticated.
    /// - An event whose idempotency key was used before (in an earlier request, or earlier in this
    ///   batch) is not stored again: its result is the first event's, marked replayed.
    /// - An OCTO entity event without a `diff` gets one against the entity's last state, which it
    ///   then becomes; test events keep states of their own.
    /// - A tenant in demo mode stores its events but makes no deliveries.
    /// - An event that makes more than ``DeferredFanOut/threshold`` deliveries, or whose deliveries
    ///   would take the plan's past `budget` (what one transaction should write at once; concurrent
    ///   ingests share a transaction and so a budget), keeps them as a ``DeferredFanOut``.
    public static func plan(
        _ events: [Event], facts: Facts, now: Date, keyId: UUID? = nil,
        budget: Int = DeferredFanOut.transactionBudget
    ) throws(StoreError) -> Plan {
        // A tenant gone took its keys with it: for a request with a key, that key is dead.
        guard let demoMode = facts.demoMode else { throw keyId == nil ? .notFound : .revokedKey }
        if let keyId, !facts.liveKeys.contains(keyId) { throw .revokedKey }
        let unknown = events.indices.filter { index in
            events[index].propertyId.map { !facts.properties.contains($0) } ?? false
        }
        if !unknown.isEmpty { throw .unknownProperties(unknown) }
        var plan = Plan()
        var snapshots = facts.snapshots
        var touched: [EntityKey] = []
        var firstByKey: [String: IngestResult] = [:]
        for var event in events {
            if let key = event.idempotencyKey, let first = firstByKey[key] ?? facts.earlier[key] {
                plan.results.append(IngestResult(event: first.event, deliveries: first.deliveries, replayed: true))
                continue
            }
            if let entity = OctoEntity.of(event: event.name, payload: event.payload) {
                let key = EntityKey(entity, isTest: event.isTest)
                event.payload = OctoEntity.withDiff(event.payload, entity: entity, previous: snapshots[key])
                if !touched.contains(key) { touched.append(key) }
                snapshots[key] = entity.body
            }
            // Message ids are made only for the deliveries written now.
            let matched = FanOut.matches(
                of: event, among: demoMode ? [] : facts.webhooks[event.propertyId] ?? [], now: now)
            let count = matched.targets.count
            plan.events.append(event)
            if count > DeferredFanOut.threshold || (count > 0 && plan.deliveries.count + count > budget) {
                plan.fanOuts.append(matched)
            } else {
                plan.deliveries += matched.deliveries(of: matched.targets)
            }
            let result = IngestResult(event: event, deliveries: count, replayed: false)
            if let key = event.idempotencyKey { firstByKey[key] = result }
            plan.results.append(result)
        }
        plan.snapshots = touched.compactMap { key in
            snapshots[key].map { EntitySnapshot(key: key, body: $0, updatedAt: now) }
        }
        return plan
    }
}

extension Ingest {
    /// What to read before deciding about concurrent requests committed together: one ``Reads``
    /// per tenant, in the order the tenants first appear.
    public static func reads(forGroup requests: [IngestRequest]) -> [Reads] {
        var tenants: [UUID] = []
        var events: [UUID: [Event]] = [:]
        var keys: [UUID: [UUID]] = [:]
        for request in requests {
            if events[request.tenantId] == nil { tenants.append(request.tenantId) }
            events[request.tenantId, default: []] += request.events
            if let key = request.keyId { keys[request.tenantId, default: []].append(key) }
        }
        return tenants.map { reads(for: events[$0] ?? [], tenantId: $0, keyIds: keys[$0] ?? []) }
    }

    /// Plans concurrent requests committed together, from one read of each tenant's facts, as if
    /// they had been committed one after another: a later request replays an earlier one's
    /// idempotency key and diffs against the entity states it left, and they share one `budget`
    /// of deliveries written at once. A request whose tenant is gone fails alone.
    public static func plan(
        group requests: [IngestRequest], facts: [UUID: Facts], budget: Int = DeferredFanOut.transactionBudget
    ) -> [Result<Plan, StoreError>] {
        var facts = facts
        var budget = budget
        return requests.map { request in
            // A tenant the store read no facts of is gone: ``plan(_:facts:now:keyId:budget:)`` says so.
            var current = facts[request.tenantId] ?? Facts(demoMode: nil)
            let plan: Plan
            do throws(StoreError) {
                plan = try Ingest.plan(
                    request.events, facts: current, now: request.now, keyId: request.keyId, budget: budget)
            } catch {
                return .failure(error)
            }
            budget -= plan.deliveries.count
            for result in plan.results where !result.replayed {
                if let key = result.event.idempotencyKey { current.earlier[key] = result }
            }
            for snapshot in plan.snapshots { current.snapshots[snapshot.key] = snapshot.body }
            facts[request.tenantId] = current
            return .success(plan)
        }
    }
}

/// Which entity a snapshot is of, within a tenant: its kind (`test:` first for test events) and id.
public struct EntityKey: Sendable, Hashable {
    public var kind: String
    public var id: String

    public init(kind: String, id: String) {
        self.kind = kind
        self.id = id
    }

    init(_ entity: OctoEntity, isTest: Bool) {
        self.init(kind: (isTest ? "test:" : "") + entity.kind, id: entity.id)
    }

    init?(of event: Event) {
        guard let entity = OctoEntity.of(event: event.name, payload: event.payload) else { return nil }
        self.init(entity, isTest: event.isTest)
    }
}

/// The last state of an entity, to diff the next event about it against.
public struct EntitySnapshot: Sendable, Hashable {
    public var key: EntityKey
    public var body: JSONValue
    public var updatedAt: Date

    public init(key: EntityKey, body: JSONValue, updatedAt: Date) {
        self.key = key
        self.body = body
        self.updatedAt = updatedAt
    }
}
