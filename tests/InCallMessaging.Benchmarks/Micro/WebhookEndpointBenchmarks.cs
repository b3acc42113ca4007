using BenchmarkDotNet.Attributes;
using InCallMessaging.Benchmarks.Load;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace InCallMessaging.Benchmarks.Micro;

/// <summary>
/// The webhook's own work per request, without sockets or Kestrel: the endpoint's request delegate (Twilio signature
/// filter, form read and parse, parse to an inbound message, reply hub, TwiML result) invoked on a fresh
/// <see cref="DefaultHttpContext"/> carrying a unique, correctly signed inbound SMS. Beside it, the bare endpoint of the
/// load test (answers the same TwiML, reads nothing) invoked the same way. The difference is what the webhook adds to
/// each request Kestrel serves.
/// </summary>
[Config(typeof(FixedInvocationsConfig))]
public class WebhookEndpointBenchmarks
{
    private const int Requests = FixedInvocationsConfig.InvocationsPerIteration;
    private const int Port = 5080;
    private const int Calls = 100;
    private readonly byte[][] _bodies = new byte[Requests][];
    private readonly string[] _signatures = new string[Requests];
    private readonly SignedRequestTemplate _template = new("127.0.0.1", Port, BenchServer.Path, Fixture.AuthToken);
    private WebApplication? _webhookApp;
    private WebApplication _bareApp = null!;
    private RequestDelegate _webhook = null!;
    private RequestDelegate _bare = null!;
    private long _sequence;
    private int _next;

    [GlobalSetup]
    public void GlobalSetup()
    {
        (_bareApp, _) = BenchServer.BuildAsync("bare", Port, 0, new BenchServer.Counters()).GetAwaiter().GetResult();
        _bare = Endpoint(_bareApp);
        Setup();
        if (Invoke(_webhookApp!, _webhook) != StatusCodes.Status200OK || Invoke(_bareApp, _bare) != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException("The endpoints did not answer 200.");
        }
    }

    /// <summary>A fresh webhook host (its calls have each texted once) and a fresh batch of unique signed requests.</summary>
    [IterationSetup]
    public void Setup()
    {
        _webhookApp?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        (_webhookApp, _) = BenchServer.BuildAsync("webhook", Port, Calls, new BenchServer.Counters()).GetAwaiter().GetResult();
        _webhook = Endpoint(_webhookApp);
        for (var i = 0; i < Requests; i++)
        {
            var sequence = ++_sequence;
            _template.Fill(0xbe7c4, sequence, Fixture.Caller((int)(sequence % Calls)));
            _bodies[i] = _template.Body;
            _signatures[i] = _template.Signature;
        }

        _next = 0;

        Gc.Settle();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _webhookApp?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _bareApp.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "bare endpoint (<Response/>), same request")]
    public Task Bare()
    {
        var context = Context(_bareApp, _next++);
        return _bare(context);
    }

    [Benchmark(Description = "Twilio webhook endpoint (signature, form, hub, TwiML)")]
    public Task Webhook()
    {
        var context = Context(_webhookApp!, _next++);
        return _webhook(context);
    }

    private int Invoke(WebApplication app, RequestDelegate endpoint)
    {
        var context = Context(app, _next++);
        endpoint(context).GetAwaiter().GetResult();
        return context.Response.StatusCode;
    }

    private HttpContext Context(WebApplication app, int index) =>
        SignedHttpContext.Create(app.Services, Port, _bodies[index % Requests], _signatures[index % Requests]);

    /// <summary>The request delegate of the app's <c>POST</c> endpoint at <see cref="BenchServer.Path"/>.</summary>
    internal static RequestDelegate Endpoint(WebApplication app) =>
        ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Single(e => e.RoutePattern.RawText?.TrimEnd('/') == BenchServer.Path
                && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Post) == true)
            .RequestDelegate!;
}
