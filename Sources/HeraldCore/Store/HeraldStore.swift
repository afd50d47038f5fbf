/// Everything Herald keeps, as one store a backend implements.
public protocol HeraldStore: TenantStore, WebhookStore, EventStore, DeliveryQueue, DeliveryLog, PortalStore {
    /// Whether the database answers (for `/ready`).
    func ping() async throws
    /// What must run while the store is in use (a connection pool, a LISTEN loop): the
    /// application runs each beside its other services and stops them last.
    var companions: [any StoreCompanion] { get }
}

/// Work that runs beside a store until it is cancelled or, through the service lifecycle's
/// task-local, shut down gracefully.
public protocol StoreCompanion: Sendable {
    func run() async throws
}
