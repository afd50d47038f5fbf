/// Everything Herald keeps, as one store a backend implements.
public protocol HeraldStore: TenantStore, WebhookStore {
    /// Whether the database answers (for `/ready`).
    func ping() async throws
}
