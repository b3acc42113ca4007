using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.Meta.Tests.TestSupport;

/// <summary>One request the stand-in received.</summary>
internal sealed record GraphRequest(string Path, string? Authorization, string? ContentType, JsonObject Body);

/// <summary>
/// A local stand-in for the Graph API's <c>POST /{version}/{phone-number-id}/messages</c> on Kestrel (127.0.0.1, a free
/// port), speaking Meta's documented JSON: an accepted message is <c>{"messaging_product","contacts":[{"input","wa_id"}],
/// "messages":[{"id":"wamid..."}]}</c>, a refused one <c>{"error":{"message","type","code","error_data":{"details"},"fbtrace_id"}}</c>.
/// Answers are scripted in order; with none left, every send is accepted.
/// </summary>
internal sealed class MetaGraphStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _answers = new();
    private readonly List<GraphRequest> _requests = [];
    private readonly SemaphoreSlim _received = new(0);
    private int _sequence;

    private MetaGraphStandIn(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<GraphRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<MetaGraphStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new MetaGraphStandIn(app);
        app.MapPost("/{version}/{phoneNumberId}/messages", standIn.HandleAsync);
        await app.StartAsync();
        standIn.BaseUrl = new Uri(app.Urls.First());
        return standIn;
    }

    /// <summary>The next send is refused with Meta's error object.</summary>
    public MetaGraphStandIn ThenError(int code, int httpStatus = 400, string type = "OAuthException")
    {
        _answers.Enqueue(context =>
        {
            context.Response.StatusCode = httpStatus;
            return context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["error"] = new JsonObject
                {
                    ["message"] = $"(#{code}) Scripted error",
                    ["type"] = type,
                    ["code"] = code,
                    ["error_data"] = new JsonObject { ["messaging_product"] = "whatsapp", ["details"] = "Scripted by the test." },
                    ["fbtrace_id"] = "AbCdEfGhIjKlMnOpQrStUvW",
                },
            });
        });
        return this;
    }

    /// <summary>The next send's connection is dropped after the request arrived: its outcome is unknown.</summary>
    public MetaGraphStandIn ThenDropConnection()
    {
        _answers.Enqueue(context =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        return this;
    }

    /// <summary>Waits until <paramref name="count"/> requests in all have arrived.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (Requests.Count < count)
        {
            await _received.WaitAsync(cancel.Token);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        lock (_requests)
        {
            _requests.Add(new GraphRequest(context.Request.Path, context.Request.Headers.Authorization.ToString(), context.Request.ContentType, body));
        }

        _received.Release();
        if (_answers.TryDequeue(out var answer))
        {
            await answer(context);
            return;
        }

        var to = (string?)body["to"] ?? "";
        var id = "wamid.HBgL" + Interlocked.Increment(ref _sequence).ToString("D6", CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["contacts"] = new JsonArray(new JsonObject { ["input"] = to, ["wa_id"] = to.TrimStart('+') }),
            ["messages"] = new JsonArray(new JsonObject { ["id"] = id }),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _received.Dispose();
    }
}
