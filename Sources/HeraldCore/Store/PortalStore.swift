import Foundation

/// The consumer portal's links and sessions, and the delivery counts its pages chart.
public protocol PortalStore: Sendable {
    func insertPortalLink(_ link: PortalLink) async throws
    func portalLink(id: UUID) async throws -> PortalLink?
    /// The tenant's links (every tenant's when nil), newest first.
    func listPortalLinks(tenantId: UUID?, page: PageRequest) async throws -> Page<PortalLink>
    /// Marks the link whose token hashes to `tokenHash` used, if it is still openable at `now`,
    /// and returns it; nil otherwise. Of concurrent callers with the same token, one gets it.
    func redeemPortalLink(tokenHash: String, now: Date) async throws -> PortalLink?
    /// Revokes the link (``StoreError/notFound`` when there is none); its session ends with it.
    func revokePortalLink(id: UUID, at date: Date) async throws

    /// Writes a session's value under `key` until `expiresAt` (nil keeps the stored expiry), as
    /// `write` says; returns whether a row was written.
    func putPortalSession(key: String, value: String, expiresAt: Date?, _ write: PortalSessionWrite) async throws
        -> Bool
    /// The session's value and expiry, if it has not expired at `now`.
    func portalSession(key: String, now: Date) async throws -> (value: String, expiresAt: Date)?
    func deletePortalSession(key: String) async throws
    /// Deletes up to `limit` sessions that expired before `sessionsBefore`, and up to `limit`
    /// links that expired before `linksBefore`; returns how many rows went.
    func purgePortal(sessionsBefore: Date, linksBefore: Date, limit: Int) async throws -> Int

    /// Deliveries made since `since` to each of `webhookIds`, counted by hour and status.
    func deliveryCounts(webhookIds: [UUID], since: Date) async throws -> [DeliveryCount]
}

/// How a session is written.
public enum PortalSessionWrite: Sendable {
    /// Only if the key is new (an expiry is needed).
    case create
    /// Whether or not the key exists (an expiry is needed).
    case replace
    /// Only if the key exists: a session deleted meanwhile (signed out) stays deleted.
    case update
}

/// How many deliveries of one webhook were made in one hour and now have one status.
public struct DeliveryCount: Sendable, Hashable {
    public var webhookId: UUID
    /// The start of the hour (UTC).
    public var hour: Date
    public var status: Delivery.Status
    public var count: Int

    public init(webhookId: UUID, hour: Date, status: Delivery.Status, count: Int) {
        self.webhookId = webhookId
        self.hour = hour
        self.status = status
        self.count = count
    }
}
