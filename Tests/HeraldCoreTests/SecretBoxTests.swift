import Foundation
import Testing

@testable import HeraldCore

@Suite struct SecretBoxTests {
    let first = try! SecretBox.Key(base64: SecretBox.Key.generate())
    let second = try! SecretBox.Key(base64: SecretBox.Key.generate())

    @Test func aSealedValueOpensToItselfAndShowsNothingOfIt() throws {
        let box = SecretBox(current: first)
        let sealed = box.seal("whsec_c2VjcmV0", context: "webhooks.secrets/1")
        #expect(sealed.hasPrefix("sealed:v1:\(first.id):"))
        #expect(!sealed.contains("whsec_"))
        #expect(try box.open(sealed, context: "webhooks.secrets/1") == "whsec_c2VjcmV0")
        // A fresh nonce each time: equal secrets do not show as equal values.
        #expect(box.seal("whsec_c2VjcmV0", context: "webhooks.secrets/1") != sealed)
    }

    @Test func withoutAKeyValuesStayInClearAndClearValuesOpenUnderAnyBox() throws {
        #expect(SecretBox.clear.seal("[1]", context: "c") == "[1]")
        #expect(try SecretBox(current: first).open("[1]", context: "c") == "[1]")
        #expect(SecretBox.keyId(of: "https://hooks.example.com") == nil)
    }

    @Test func aValueMovedToAnotherRowOrAlteredDoesNotOpen() throws {
        let box = SecretBox(current: first)
        let sealed = box.seal("whsec_c2VjcmV0", context: "webhooks.secrets/1")
        #expect(throws: SecretBox.OpenError.damaged) { try box.open(sealed, context: "webhooks.secrets/2") }
        var bytes = Array(sealed.utf8)
        bytes[bytes.count - 3] = bytes[bytes.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SecretBox.OpenError.damaged) {
            try box.open(String(decoding: bytes, as: UTF8.self), context: "webhooks.secrets/1")
        }
        #expect(throws: SecretBox.OpenError.damaged) { try box.open("sealed:v1:short", context: "c") }
    }

    @Test func previousKeysOpenButOnlyTheCurrentOneSeals() throws {
        let old = SecretBox(current: first).seal("x", context: "c")
        let rotated = SecretBox(current: second, previous: [first])
        #expect(try rotated.open(old, context: "c") == "x")
        #expect(SecretBox.keyId(of: rotated.seal("x", context: "c")) == second.id)
        #expect(!rotated.isCurrent(old))
        #expect(throws: SecretBox.OpenError.unknownKey(first.id)) {
            try SecretBox(current: second).open(old, context: "c")
        }
        #expect(throws: SecretBox.OpenError.unknownKey(first.id)) { try SecretBox.clear.open(old, context: "c") }
    }

    @Test func aKeyIdIsStableAndTellsKeysApart() throws {
        let text = SecretBox.Key.generate()
        #expect(try SecretBox.Key(base64: text).id == SecretBox.Key(base64: text).id)
        #expect(first.id != second.id)
        #expect(first.id.count == SecretBox.keyIdLength)
        #expect(!first.id.isEmpty && first.id.allSatisfy(\.isHexDigit))
    }

    @Test func keysThatAreNotThirtyTwoRandomBytesAreRefused() throws {
        #expect(throws: SecretBox.KeyProblem.notBase64) { try SecretBox.Key(base64: "not base64!") }
        #expect(throws: SecretBox.KeyProblem.length(16)) {
            try SecretBox.Key(base64: Data(KeyMaterial.randomBytes(16)).base64EncodedString())
        }
        #expect(throws: SecretBox.KeyProblem.lowVariety) {
            try SecretBox.Key(base64: Data(repeating: 0, count: 32).base64EncodedString())
        }
        // A passphrase in base64 is not 32 random bytes.
        #expect(throws: SecretBox.KeyProblem.lowVariety) {
            try SecretBox.Key(base64: Data("correct horse battery staple 123".utf8).base64EncodedString())
        }
        // A key read from a file keeps its newline.
        #expect(throws: Never.self) { try SecretBox.Key(base64: SecretBox.Key.generate() + "\n") }
        // The URL-safe alphabet without padding is the same key.
        let bytes = Data(KeyMaterial.randomBytes(32))
        let standard = bytes.base64EncodedString()
        let urlSafe = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        #expect(try SecretBox.Key(base64: urlSafe).id == SecretBox.Key(base64: standard).id)
    }

    func webhook(url: String) throws -> Webhook {
        Webhook(
            tenantId: UUID(), propertyId: nil, isGlobal: true, callbackURL: url, eventMask: try EventMask(parsing: "*"),
            headers: ["Authorization": "Bearer header-token"], secrets: [SigningSecret(value: "whsec_c2VjcmV0")],
            createdAt: Date(), updatedAt: Date())
    }

    @Test func everySecretColumnIsSealedAndOpensToTheWebhooksOwnValues() throws {
        let box = SecretBox(current: first)
        var hook = try webhook(url: "https://hooks.example.com/T000/B000/path-token")
        hook.requestParams = ["api_key": "param-token"]
        let columns = SecretColumns(hook, box: box)
        for value in [columns.callbackURL, columns.requestParams, columns.headers, columns.secrets] {
            #expect(value.flatMap(SecretBox.keyId(of:)) == first.id)
        }
        let opened = try columns.opened(webhookId: hook.id, box: box)
        #expect(opened.callbackURL == hook.callbackURL)
        #expect(opened.requestParams == hook.requestParams)
        #expect(opened.headers == hook.headers)
        #expect(opened.secrets == hook.secrets)
    }

    /// A value that does not open is an error naming the webhook, never read as absent: a rewrite
    /// would then erase it.
    @Test func aColumnThatDoesNotOpenIsAnErrorNotAnAbsence() throws {
        let hook = try webhook(url: "https://hooks.example.com/h")
        var columns = SecretColumns(hook, box: SecretBox(current: second))
        columns.headers = SecretColumns(hook, box: SecretBox(current: first)).headers
        #expect(throws: UnreadableWebhook(id: hook.id, reason: .unknownKey(first.id))) {
            try columns.opened(webhookId: hook.id, box: SecretBox(current: second))
        }
        #expect(throws: UnreadableWebhook(id: hook.id, reason: .unknownKey(first.id))) {
            try columns.resealed(webhookId: hook.id, box: SecretBox(current: second))
        }
        // A value that opens but does not parse is damaged, not absent.
        columns.headers = SecretBox(current: second).seal("not json", context: SecretColumns.Place(hook.id).headers)
        #expect(throws: UnreadableWebhook(id: hook.id, reason: .damaged)) {
            try columns.opened(webhookId: hook.id, box: SecretBox(current: second))
        }
        // Headers moved from another webhook's row do not open here.
        let other = try webhook(url: "https://hooks.example.com/h")
        columns.headers = SecretColumns(other, box: SecretBox(current: second)).headers
        #expect(throws: UnreadableWebhook(id: hook.id, reason: .damaged)) {
            try columns.opened(webhookId: hook.id, box: SecretBox(current: second))
        }
    }

    @Test func resealingWritesOnlyWhatAnotherKeySealed() throws {
        let hook = try webhook(url: "https://u:p@hooks.example.com/h")
        let clear = SecretColumns(hook, box: .clear)
        #expect(clear.secrets.contains("whsec_"))
        #expect(clear.callbackURL == hook.callbackURL)
        #expect(try clear.resealed(webhookId: hook.id, box: .clear) == nil)
        let sealed = try #require(try clear.resealed(webhookId: hook.id, box: SecretBox(current: first)))
        #expect(SecretBox.keyId(of: sealed.secrets) == first.id)
        #expect(try sealed.resealed(webhookId: hook.id, box: SecretBox(current: first)) == nil)
        let rotated = SecretBox(current: second, previous: [first])
        let again = try #require(try sealed.resealed(webhookId: hook.id, box: rotated))
        #expect(try again.opened(webhookId: hook.id, box: SecretBox(current: second)).secrets == hook.secrets)
        // Back to clear, with the key that sealed them.
        let cleared = try #require(
            try again.resealed(webhookId: hook.id, box: SecretBox(current: nil, previous: [second])))
        #expect(cleared == clear)
    }

    @Test func aCensusTellsWhatABoxCannotOpenAndWhatWaitsToBeResealed() {
        let census = SealingCensus(sealed: [first.id: 3, second.id: 2], clear: 4)
        #expect(census.unopenable(by: SecretBox(current: second)) == [first.id: 3])
        #expect(census.unopenable(by: SecretBox(current: second, previous: [first])).isEmpty)
        #expect(census.stale(for: SecretBox(current: second, previous: [first])) == 7)
        // Back to clear: everything sealed waits.
        #expect(census.stale(for: SecretBox(current: nil, previous: [first, second])) == 5)
    }
}
