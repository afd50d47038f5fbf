/// Everything Herald keeps, as one store a backend implements.
public protocol HeraldStore: TenantStore, WebhookStore, EventStore, DeliveryQueue, DeliveryLog {
    /// Whether the database answers (for `/ready`).
    func ping() async throws
}
