using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>An in-process inbound-SMS webhook request as Kestrel would hand it over, for benchmarks that skip the socket.</summary>
internal static class SignedHttpContext
{
    /// <summary>A POST of <paramref name="body"/> to <see cref="BenchServer.Path"/> on 127.0.0.1:<paramref name="port"/>, signed with <paramref name="signature"/>.</summary>
    public static DefaultHttpContext Create(IServiceProvider services, int port, byte[] body, string signature)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        var request = context.Request;
        request.Method = HttpMethods.Post;
        request.Scheme = "http";
        request.Host = new HostString("127.0.0.1", port);
        request.Path = BenchServer.Path;
        request.ContentType = "application/x-www-form-urlencoded";
        request.ContentLength = body.Length;
        request.Body = new MemoryStream(body, writable: false);
        request.Headers["X-Twilio-Signature"] = signature;
        request.Headers.UserAgent = "TwilioProxy/1.1";
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = BenchServer.Path;
        return context;
    }
}
