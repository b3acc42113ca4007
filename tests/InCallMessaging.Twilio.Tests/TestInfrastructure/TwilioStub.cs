using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.Twilio.Tests.TestInfrastructure;

/// <summary>One request the stub received.</summary>
internal sealed record StubRequest(
    string Path,
    string? Authorization,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Form)
{
    public IReadOnlyList<string> Values(string name) => Form.Where(f => f.Key == name).Select(f => f.Value).ToList();

    public string? Value(string name) => Values(name).SingleOrDefault();

    public bool Has(string name) => Form.Any(f => f.Key == name);
}

/// <summary>How the stub answers one attempt.</summary>
internal sealed record StubAnswer(int Status, string? Json = null, string? RetryAfter = null, TimeSpan Delay = default, bool Abort = false, string ContentType = "application/json", bool HeadersFirst = false)
{
    public static StubAnswer Created(string sid = TwilioStub.DefaultSid, string status = "queued") =>
        new(201, $$"""{"account_sid":"{{TwilioStub.AccountSid}}","sid":"{{sid}}","status":"{{status}}","num_segments":"1","error_code":null,"error_message":null,"date_created":"Thu, 24 Aug 2023 05:01:45 +0000","subresource_uris":{"media":"/x"} }""");

    public static StubAnswer Error(int httpStatus, int code) =>
        new(httpStatus, $$"""{"code": {{code}}, "message": "The 'To' number +14155550100 is not valid.", "more_info": "https://www.twilio.com/docs/errors/{{code}}", "status": {{httpStatus}}, "details": {"extra": true} }""");
}

/// <summary>
/// A stand-in for Twilio's Messages endpoint on Kestrel (127.0.0.1, a free port): it records each request and answers
/// with the script's answer for that attempt (1-based).
/// </summary>
internal sealed class TwilioStub : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "stub-auth-token-0123456789abcdef";
    public const string DefaultSid = "SM0123456789abcdef0123456789abcdef";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<StubRequest> _requests = new();

    private TwilioStub(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<StubRequest> Requests => _requests.ToArray();

    public int Attempts => _requests.Count;

    public StubRequest Single => Assert.Single(Requests);

    public static Task<TwilioStub> StartAsync(StubAnswer answer) => StartAsync(_ => answer);

    public static async Task<TwilioStub> StartAsync(Func<int, StubAnswer> script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new TwilioStub(app);

        app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", async (HttpContext context) =>
        {
            var form = new List<KeyValuePair<string, string>>();
            if (context.Request.HasFormContentType)
            {
                foreach (var (key, values) in await context.Request.ReadFormAsync(context.RequestAborted))
                {
                    form.AddRange(values.Select(v => new KeyValuePair<string, string>(key, v ?? "")));
                }
            }

            stub._requests.Enqueue(new StubRequest(
                context.Request.Path, context.Request.Headers.Authorization.ToString(), context.Request.ContentType, form));
            var answer = script(stub._requests.Count);
            if (answer.HeadersFirst)
            {
                // The status line and headers go out now; the body only after the delay.
                context.Response.StatusCode = answer.Status;
                context.Response.ContentType = answer.ContentType;
                await context.Response.StartAsync(context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            if (answer.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(answer.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (answer.Abort)
            {
                context.Abort();
                return;
            }

            if (!answer.HeadersFirst)
            {
                context.Response.StatusCode = answer.Status;
            }

            if (answer.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = answer.RetryAfter;
            }

            if (answer.Json is not null)
            {
                if (!answer.HeadersFirst)
                {
                    context.Response.ContentType = answer.ContentType;
                }

                await context.Response.WriteAsync(answer.Json, Encoding.UTF8);
            }
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub.BaseUrl = new Uri(address);
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
