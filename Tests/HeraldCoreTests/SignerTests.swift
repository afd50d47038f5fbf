import Foundation
import HeraldCore
import Testing

@Suite struct SignerTests {
    @Test func matchesTheStandardWebhooksTestVector() {
        let signature = Signer.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func headerCarriesOneSignaturePerSecretAndEachVerifies() {
        let body = Data("{}".utf8)
        let old = KeyMaterial.newSigningSecret()
        let new = KeyMaterial.newSigningSecret()
        let header = Signer.header(id: "msg_1", timestamp: 10, body: body, secrets: [new, old])
        #expect(header.split(separator: " ").count == 2)
        #expect(Signer.verify(header: header, id: "msg_1", timestamp: 10, body: body, secret: old))
        #expect(Signer.verify(header: header, id: "msg_1", timestamp: 10, body: body, secret: new))
        #expect(!Signer.verify(header: header, id: "msg_1", timestamp: 11, body: body, secret: new))
    }

    @Test func newSecretsAreWhsecWith32RandomBytes() {
        let secret = KeyMaterial.newSigningSecret()
        #expect(secret.hasPrefix("whsec_"))
        #expect(Data(base64Encoded: String(secret.dropFirst(6)))?.count == 32)
        #expect(secret != KeyMaterial.newSigningSecret())
    }
}
