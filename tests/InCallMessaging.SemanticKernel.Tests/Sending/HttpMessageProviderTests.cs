using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Sending;

/// <summary>The custom HTTPS API provider against a real Kestrel stub on 127.0.0.1.</summary>
public sealed class HttpMessageProviderTests : IAsyncLifetime
{
    private readonly List<(JsonObject Body, Dictionary<string, string> Headers, string Path)> _requests = [];
    private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _app = null!;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        _app = builder.Build();
        _app.MapPost("/ok", async context =>
        {
            await RecordAsync(context);
            await context.Response.WriteAsJsonAsync(new { id = "abc", status = "queued" });
        });
        _app.MapPost("/ok-message-id", async context =>
        {
            await RecordAsync(context);
            await context.Response.WriteAsJsonAsync(new { message_id = "mid-7" });
        });
        _app.MapPost("/ok-text", async context =>
        {
            await RecordAsync(context);
            await context.Response.WriteAsync("accepted");
        });
        _app.MapPost("/status/{code:int}", async (HttpContext context, int code) =>
        {
            await RecordAsync(context);
            context.Response.StatusCode = code;
            await context.Response.WriteAsJsonAsync(new { error = "nope" });
        });
        _app.MapPost("/slow", async context =>
        {
            await RecordAsync(context);
            try
            {
                await _never.Task.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up.
            }
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _base = new Uri(address.TrimEnd('/') + "/");
    }

    public async Task DisposeAsync()
    {
        _never.TrySetResult();
        await _app.DisposeAsync();
    }

    private async Task RecordAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        lock (_requests)
        {
            _requests.Add((body, headers, context.Request.Path.Value!));
        }

        _firstRequest.TrySetResult();
    }

    private Harness Start(string path, TimeSpan? timeout = null, InCallMessageAction? action = null)
    {
        action ??= TestRuntime.Otp();
        action.Sender = "api";
        var options = TestRuntime.Options(action);
        options.Senders["api"] = new MessageSenderOptions
        {
            Provider = "Http",
            From = "+14155550196",
            Http =
            {
                Url = new Uri(_base, path),
                Headers = { ["Authorization"] = "Bearer s3cret", ["X-Tenant"] = "acme" },
                Timeout = timeout ?? TimeSpan.FromSeconds(10),
            },
        };
        return Harness.Start(options);
    }

    [Fact]
    public async Task Posts_json_with_the_message_fields_and_configured_headers()
    {
        var h = Start("ok");

        var result = await h.SendOtpAsync("482913");

        Assert.Equal("sent", result.Status());
        Assert.Equal("abc", result.Str("message_id"));
        var (body, headers, path) = Assert.Single(_requests);
        Assert.Equal("/ok", path);
        Assert.Equal(TestRuntime.Caller, (string?)body["to"]);
        Assert.Equal("Your code is 482913. It expires in 10 minutes.", (string?)body["message"]);
        Assert.Equal("sms", (string?)body["channel"]);
        Assert.Equal("+14155550196", (string?)body["from"]);
        Assert.Equal(Harness.CallId, (string?)body["call_id"]);
        Assert.Equal("send_otp", (string?)body["action"]);
        Assert.False(string.IsNullOrEmpty((string?)body["reference"]));
        Assert.False(body.ContainsKey("template_id"));
        Assert.False(body.ContainsKey("media_urls"));
        Assert.Equal("Bearer s3cret", headers["Authorization"]);
        Assert.Equal("acme", headers["X-Tenant"]);
        Assert.StartsWith("application/json", headers["Content-Type"], StringComparison.Ordinal);

        var record = Assert.Single(h.Session.Messages);
        Assert.Equal("abc", record.MessageId);
        Assert.Same(h.Session, h.Runtime.Calls.FindByMessageId("abc"));
    }

    [Fact]
    public async Task WhatsApp_template_is_posted_with_template_id_and_variables()
    {
        var action = new InCallMessageAction
        {
            Name = "send_welcome",
            Description = "Send the WhatsApp welcome template.",
            Channel = MessageChannel.WhatsApp,
            Template = new WhatsAppTemplate { TemplateId = "HX0123456789abcdef0123456789abcdef", Variables = { ["1"] = "<call_id>" } },
            MediaUrls = ["https://cdn.example.com/menu.pdf"],
        };
        var h = Start("ok", action: action);

        await h.InvokeAsync("send_welcome");

        var body = Assert.Single(_requests).Body;
        Assert.Equal("whatsapp", (string?)body["channel"]);
        Assert.Null(body["message"]);
        Assert.Equal("HX0123456789abcdef0123456789abcdef", (string?)body["template_id"]);
        Assert.Equal(Harness.CallId, (string?)body["content_variables"]!["1"]);
        Assert.False(body.ContainsKey("media_urls"));
    }

    [Fact]
    public async Task Media_urls_are_posted_for_free_form_messages()
    {
        var action = TestRuntime.Summary();
        action.MediaUrls = ["https://cdn.example.com/menus/{{ call_id }}.pdf"];
        var h = Start("ok", action: action);

        await h.SendSummaryAsync("Here is the menu.");

        var media = Assert.Single(_requests).Body["media_urls"]!.AsArray();
        Assert.Equal($"https://cdn.example.com/menus/{Harness.CallId}.pdf", (string?)Assert.Single(media));
    }

    [Fact]
    public async Task Message_id_is_read_from_message_id_too()
    {
        var h = Start("ok-message-id");

        Assert.Equal("mid-7", (await h.SendOtpAsync()).Str("message_id"));
    }

    [Fact]
    public async Task Success_without_json_uses_the_plugins_own_reference()
    {
        var h = Start("ok-text");

        var result = await h.SendOtpAsync();

        Assert.Equal("sent", result.Status());
        Assert.Equal("HTTP" + (string?)Assert.Single(_requests).Body["reference"], result.Str("message_id"));
    }

    [Theory]
    [InlineData(500, "provider_unavailable")]
    [InlineData(503, "provider_unavailable")]
    [InlineData(400, "rejected")]
    [InlineData(401, "rejected")]
    [InlineData(429, "rate_limited")]
    public async Task Error_status_codes_become_failed_results(int code, string reason)
    {
        var h = Start($"status/{code}");

        var result = await h.SendOtpAsync();

        Assert.Equal("failed", result.Status());
        Assert.Equal(reason, result.Reason());
        if (code == 500)
        {
            // A 500 may have sent it: recorded as of unknown outcome, never as nothing.
            Assert.Equal(CallMessage.UnknownStatus, Assert.Single(h.Session.Messages).Status);
        }
        else
        {
            Assert.Empty(h.Session.Messages);
        }
    }

    [Fact]
    public async Task Slow_endpoint_beyond_the_sender_timeout_fails_with_timeout()
    {
        var h = Start("slow", timeout: TimeSpan.FromMilliseconds(200));

        var result = await h.SendOtpAsync().WaitAsync(Harness.Safety);

        Assert.Equal("failed", result.Status());
        Assert.Equal("timeout", result.Reason());
        Assert.Equal(CallMessage.UnknownStatus, Assert.Single(h.Session.Messages).Status);
    }

    [Fact]
    public async Task Unreachable_endpoint_fails_with_provider_unavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var action = TestRuntime.Otp();
        action.Sender = "api";
        var options = TestRuntime.Options(action);
        options.Senders["api"] = new MessageSenderOptions { Provider = "Http", Http = { Url = new Uri($"http://127.0.0.1:{port}/send") } };
        var h = Harness.Start(options);

        var result = await h.SendOtpAsync().WaitAsync(Harness.Safety);

        Assert.Equal("failed", result.Status());
        Assert.Equal("provider_unavailable", result.Reason());
    }

    [Fact]
    public async Task Caller_cancellation_is_reported_by_exception_not_as_a_timeout()
    {
        var h = Start("slow");
        using var cancellation = new CancellationTokenSource();
        var pending = h.InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = "1" }, cancellationToken: cancellation.Token);
        await _firstRequest.Task.WaitAsync(Harness.Safety);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Harness.Safety));
    }
}
