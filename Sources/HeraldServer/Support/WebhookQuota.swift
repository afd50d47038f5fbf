import Foundation
import HeraldCore

/// A tenant's quota of webhooks, both dialects together: checked before each insert, so a
/// tenant's concurrent creates may pass it by the few that raced.
struct WebhookQuota: Sendable {
    let limit: Int

    /// Why `tenantId` may not add a webhook, or nil when it may.
    func problem(for tenantId: UUID, in store: some WebhookStore) async throws -> String? {
        let count = try await store.webhookCount(tenantId: tenantId)
        guard count >= limit else { return nil }
        return
            "has reached the tenant's quota of \(limit) webhooks; delete some, or ask the operator to raise it (--webhook-quota)"
    }
}
