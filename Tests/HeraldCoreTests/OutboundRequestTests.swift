import Foundation
import HeraldCore
import Testing

@Suite struct OutboundRequestTests {
    func build(_ url: String, params: [String: String]? = nil, headers: [String: String]? = nil) throws
        -> OutboundRequest
    {
        try OutboundRequest.build(
            callbackURL: url, requestParams: params, customHeaders: headers,
            secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            messageId: "msg_1", timestamp: Date(timeIntervalSince1970: 1_614_265_330), body: ["a": 1])
    }

    @Test func requestParamsJoinTheQueryEncoded() throws {
        let request = try build("https://x.example/p?keep=1", params: ["token": "a+b&c=d", "z": "1"])
        #expect(request.url == "https://x.example/p?keep=1&token=a%2Bb%26c%3Dd&z=1")
    }

    @Test func urlCredentialsBecomeBasicAuthAndLeaveTheURL() throws {
        let request = try build("https://user:p%40ss@x.example/p")
        #expect(request.url == "https://x.example/p")
        #expect(request.header("Authorization") == "Basic " + Data("user:p@ss".utf8).base64EncodedString())
    }

    @Test func aCustomAuthorizationHeaderWinsOverURLCredentials() throws {
        let request = try build("https://user:pw@x.example/p", headers: ["Authorization": "Bearer t"])
        #expect(request.header("Authorization") == "Bearer t")
    }

    @Test func standardWebhooksHeadersAreSet() throws {
        let request = try build("https://x.example")
        #expect(request.header("webhook-id") == "msg_1")
        #expect(request.header("webhook-timestamp") == "1614265330")
        #expect(
            request.header("webhook-signature")
                == Signer.signature(
                    id: "msg_1", timestamp: 1_614_265_330, body: request.body,
                    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("User-Agent") == "Herald/\(HeraldVersion.current)")
        #expect(request.body == Data(#"{"a":1}"#.utf8))
    }
}
