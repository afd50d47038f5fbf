import Foundation

/// Registered webhooks.
public protocol WebhookStore: Sendable {
    func insertWebhook(_ webhook: Webhook) async throws
    /// Inserts `webhooks` in one transaction (an import; the bench's large worlds).
    func insertWebhooks(_ webhooks: [Webhook]) async throws
    func updateWebhook(_ webhook: Webhook) async throws
    /// Turns an active webhook off with `reason`, touching nothing else of it (the dispatcher and
    /// the API may be changing the rest): the webhook afterwards, and whether this call turned it
    /// off; nil when there is none.
    func disableWebhook(id: UUID, reason: String, at date: Date) async throws -> (webhook: Webhook, disabled: Bool)?
    func webhook(id: UUID) async throws -> Webhook?
    func deleteWebhook(id: UUID) async throws
    func listWebhooks(_ query: WebhookQuery) async throws -> Page<Webhook>
    /// How many webhooks `tenantId` has, of either dialect (its quota counts them).
    func webhookCount(tenantId: UUID) async throws -> Int

    /// The keys this store seals secrets with and opens them by (``SecretColumns``).
    var secretBox: SecretBox { get }
    /// How many webhooks are sealed with each key, and how many are in clear.
    func sealingCensus() async throws -> SealingCensus
    /// Reads the secret columns of up to `limit` webhooks after `after` in id order and writes back
    /// what `transform` returns for each (nil leaves a row as it is), in one transaction, so that a
    /// concurrent change to a webhook is neither lost nor overwritten. Returns how many rows it wrote
    /// and the last id it read (nil when there was none).
    func resealWebhooks(
        after: UUID?, limit: Int, _ transform: @Sendable (UUID, SecretColumns) throws -> SecretColumns?
    ) async throws -> (written: Int, last: UUID?)
}

extension WebhookStore {
    /// Re-seals every webhook's secrets with the store's current key (or writes them in clear when
    /// it has none), a batch a transaction: `herald secrets rotate-key`. Rows already sealed with
    /// the current key are left alone, so a run that stopped can run again. A row another
    /// transaction holds is skipped rather than waited for, and taken by a later pass (at most
    /// `passes`). Returns how many webhooks it re-sealed, and the census afterwards.
    public func resealAllWebhooks(batch: Int = 500, passes: Int = 5) async throws -> (
        written: Int, census: SealingCensus
    ) {
        let box = secretBox
        var total = 0
        for pass in 0..<passes {
            // Rows held by another transaction were skipped: give it time to end.
            if pass > 0 { try await Task.sleep(for: .milliseconds(100 << pass)) }
            var after: UUID?
            while true {
                let (written, last) = try await resealWebhooks(after: after, limit: batch) { id, columns in
                    try columns.resealed(webhookId: id, box: box)
                }
                total += written
                guard let last else { break }
                after = last
            }
            let census = try await sealingCensus()
            if census.stale(for: box) == 0 { return (total, census) }
        }
        return (total, try await sealingCensus())
    }
}

/// Which webhooks a list shows: the caller's reach first, then the `filter[...]` parameters.
public struct WebhookQuery: Sendable {
    /// nil: every tenant (platform admins).
    public var tenantId: UUID?
    /// Reach: nil means every property; a set limits property webhooks to those properties.
    public var propertyScope: Set<UUID>?
    /// Reach: whether global webhooks are visible at all.
    public var includeGlobal: Bool
    public var propertyId: UUID?
    public var isActive: Bool?
    public var isGlobal: Bool?
    public var dialect: Webhook.Dialect?
    public var page: PageRequest

    public init(
        tenantId: UUID?, propertyScope: Set<UUID>? = nil, includeGlobal: Bool = true, propertyId: UUID? = nil,
        isActive: Bool? = nil, isGlobal: Bool? = nil, dialect: Webhook.Dialect? = nil, page: PageRequest = PageRequest()
    ) {
        self.tenantId = tenantId
        self.propertyScope = propertyScope
        self.includeGlobal = includeGlobal
        self.propertyId = propertyId
        self.isActive = isActive
        self.isGlobal = isGlobal
        self.dialect = dialect
        self.page = page
    }
}
