import Foundation
import HeraldCore
import Hummingbird

/// What a portal session keeps server-side: who signed in and the token every form carries. The
/// rights are read again from the link or key on each request, so revoking either ends it.
struct PortalSession: Codable, Sendable, Equatable {
    enum Credential: String, Codable, Sendable {
        /// A one-time portal link (`credentialId` is the link's id).
        case link
        /// An API key typed into the sign-in form (`credentialId` is the key's id).
        case apiKey
    }

    var credential: Credential
    var credentialId: UUID
    /// The CSRF token of this session's forms.
    var csrf: String
    var signedInAt: Date
    /// Whether the store holds it: the first write creates it, every later one only updates it.
    var persisted = false

    init(credential: Credential, credentialId: UUID, signedInAt: Date) {
        self.credential = credential
        self.credentialId = credentialId
        self.csrf = KeyMaterial.newPortalToken()
        self.signedInAt = signedInAt
    }
}

/// hummingbird-auth's session storage, kept in Herald's store, so every process on the database
/// knows every session. Keys are stored hashed: a copy of the database opens no session.
struct StorePersistDriver<Store: PortalStore>: PersistDriver {
    let store: Store
    let clock: HeraldClock

    func run() async throws {}
    func shutdown() async throws {}

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        var value: any Encodable = value
        if var session = value as? PortalSession {
            session.persisted = true
            value = session
        }
        let expiresAt = clock.timestamp().addingTimeInterval((expires ?? .seconds(3600)).seconds)
        guard
            try await store.putPortalSession(
                key: Self.hash(key), value: try Self.encode(value), expiresAt: expiresAt, .create)
        else { throw PersistError.duplicate }
    }

    /// hummingbird-auth saves a new session and refreshes an old one both through here. A new
    /// session is created (and marked so); one the store already held is only ever updated, so a
    /// request that refreshes it while another signs out cannot bring it back.
    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let expiresAt = expires.map { clock.timestamp().addingTimeInterval($0.seconds) }
        guard let session = value as? PortalSession, !session.persisted else {
            _ = try await store.putPortalSession(
                key: Self.hash(key), value: try Self.encode(value), expiresAt: expiresAt, .update)
            return
        }
        try await create(key: key, value: session, expires: expires)
    }

    func get<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: type)?.object
    }

    func getWithTTL<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> (
        object: Object, ttl: Duration?
    )? {
        let now = clock.timestamp()
        guard let (value, expiresAt) = try await store.portalSession(key: Self.hash(key), now: now) else { return nil }
        do {
            let object = try JSONDecoder().decode(Object.self, from: Data(value.utf8))
            return (object, .milliseconds(Int64(expiresAt.timeIntervalSince(now) * 1000)))
        } catch {
            throw PersistError.invalidConversion
        }
    }

    func remove(key: String) async throws {
        try await store.deletePortalSession(key: Self.hash(key))
    }

    static func hash(_ key: String) -> String {
        KeyMaterial.hash(apiKey: key)
    }

    static func encode<Object: Encodable>(_ value: Object) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
