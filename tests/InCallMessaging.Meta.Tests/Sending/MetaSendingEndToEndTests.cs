using System.Text.Json;
using System.Text.Json.Nodes;
using InCallMessaging.Meta.Tests.TestSupport;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Meta.Tests.Sending;

/// <summary>
/// Sends end to end: an action invoked on a live call, through the Meta provider and a real HttpClient, to the local
/// Graph API stand-in; the assertions read the JSON the stand-in received and the result the LLM gets.
/// </summary>
public sealed class MetaSendingEndToEndTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);

    private static InCallMessageAction FreeForm(string name = "send_details", string body = "Your booking is confirmed: https://example.com/b/42", params string[] media) => new()
    {
        Name = name,
        Description = "Sends the caller the booking details on WhatsApp.",
        Channel = MessageChannel.WhatsApp,
        Sender = "whatsapp",
        Body = body,
        MediaUrls = [.. media],
    };

    private static string Status(JsonElement result) => result.GetProperty("status").GetString()!;

    [Fact]
    public async Task A_free_form_text_goes_to_the_pinned_version_and_number_id_with_the_bearer_token()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(FreeForm()), meta: o => o.GraphApiVersion = "v23.0");
        var session = host.StartCall();
        await host.OpenWindowAsync();

        var result = await host.InvokeAsync(session, "send_details");

        Assert.Equal("sent", Status(result));
        var request = Assert.Single(host.Graph.Requests);
        Assert.Equal($"/v23.0/{MetaTestHost.PhoneNumberId}/messages", request.Path);
        Assert.Equal("Bearer " + MetaTestHost.AccessToken, request.Authorization);
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        Assert.Equal("whatsapp", (string?)request.Body["messaging_product"]);
        Assert.Equal("individual", (string?)request.Body["recipient_type"]);
        Assert.Equal(MetaTestHost.Caller, (string?)request.Body["to"]);
        Assert.Equal("text", (string?)request.Body["type"]);
        Assert.Equal("Your booking is confirmed: https://example.com/b/42", (string?)request.Body["text"]!["body"]);
        Assert.True((bool)request.Body["text"]!["preview_url"]!);
        Assert.StartsWith("wamid.", result.GetProperty("message_id").GetString(), StringComparison.Ordinal);
        Assert.Equal(result.GetProperty("message_id").GetString(), session.Messages.Single(m => m.Direction == MessageDirection.Outbound).MessageId);
    }

    [Fact]
    public async Task A_template_with_positional_parameters_sends_them_in_order_with_its_language()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(new InCallMessageAction
        {
            Name = "send_order_update",
            Description = "Sends the caller the order status on WhatsApp.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Parameters = new ActionParameters
            {
                Properties = { ["order_id"] = new ActionParameter { Description = "The order number." } },
                Required = ["order_id"],
            },
            // Keys in a different order than their numbers: Meta fills positional parameters in order.
            Template = new WhatsAppTemplate { TemplateId = "order_update:es_MX", Variables = { ["2"] = "mañana", ["1"] = "{{ order_id }}" } },
        }));
        var session = host.StartCall();

        var result = await host.InvokeAsync(session, "send_order_update", new KernelArguments { ["order_id"] = "A-1042" });

        Assert.Equal("sent", Status(result));
        var template = Assert.Single(host.Graph.Requests).Body["template"]!;
        Assert.Equal("template", (string?)Assert.Single(host.Graph.Requests).Body["type"]);
        Assert.Equal("order_update", (string?)template["name"]);
        Assert.Equal("es_MX", (string?)template["language"]!["code"]);
        var body = Assert.Single(template["components"]!.AsArray())!;
        Assert.Equal("body", (string?)body["type"]);
        Assert.Equal(["A-1042", "mañana"], body["parameters"]!.AsArray().Select(p => (string?)p!["text"]));
        Assert.All(body["parameters"]!.AsArray(), p => Assert.Null(p!["parameter_name"]));
    }

    [Fact]
    public async Task A_template_with_named_parameters_a_header_document_and_a_url_button_sends_each_component()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(new InCallMessageAction
        {
            Name = "send_invoice",
            Description = "Sends the caller the invoice on WhatsApp.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Parameters = new ActionParameters
            {
                Properties =
                {
                    ["invoice_id"] = new ActionParameter { Description = "The invoice number.", Pattern = "^[0-9]+$" },
                    ["first_name"] = new ActionParameter { Description = "The caller's first name." },
                },
                Required = ["invoice_id", "first_name"],
            },
            Template = new WhatsAppTemplate
            {
                TemplateId = "invoice_ready",
                Variables =
                {
                    ["first_name"] = "{{ first_name }}",
                    ["invoice_number"] = "{{ invoice_id }}",
                    ["header.document"] = "https://files.example.com/invoices/invoice-{{ invoice_id }}.pdf",
                    ["button.0"] = "{{ invoice_id }}",
                },
            },
        }));
        var session = host.StartCall();

        var result = await host.InvokeAsync(session, "send_invoice", new KernelArguments { ["invoice_id"] = "42", ["first_name"] = "Ana" });

        Assert.Equal("sent", Status(result));
        var template = Assert.Single(host.Graph.Requests).Body["template"]!;
        Assert.Equal("invoice_ready", (string?)template["name"]);
        Assert.Equal("en_US", (string?)template["language"]!["code"]);
        var components = template["components"]!.AsArray();
        var header = components.Single(c => (string?)c!["type"] == "header")!["parameters"]![0]!;
        Assert.Equal("document", (string?)header["type"]);
        Assert.Equal("https://files.example.com/invoices/invoice-42.pdf", (string?)header["document"]!["link"]);
        Assert.Equal("invoice-42.pdf", (string?)header["document"]!["filename"]);
        var named = components.Single(c => (string?)c!["type"] == "body")!["parameters"]!.AsArray()
            .ToDictionary(p => (string)p!["parameter_name"]!, p => (string?)p!["text"]);
        Assert.Equal(new Dictionary<string, string?> { ["first_name"] = "Ana", ["invoice_number"] = "42" }, named);
        var button = components.Single(c => (string?)c!["type"] == "button")!;
        Assert.Equal("url", (string?)button["sub_type"]);
        Assert.Equal("0", (string?)button["index"]);
        Assert.Equal("42", (string?)button["parameters"]![0]!["text"]);
    }

    [Theory]
    [InlineData("https://cdn.example.com/maps/route.png", "image", null)]
    [InlineData("https://files.example.com/docs/terms-2026.pdf", "document", "terms-2026.pdf")]
    public async Task Media_goes_by_link_with_the_text_as_its_caption_and_a_document_keeps_its_file_name(string url, string type, string? fileName)
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(FreeForm(body: "Here it is.", media: url)));
        var session = host.StartCall();
        await host.OpenWindowAsync();

        var result = await host.InvokeAsync(session, "send_details");

        Assert.Equal("sent", Status(result));
        var request = Assert.Single(host.Graph.Requests).Body;
        Assert.Equal(type, (string?)request["type"]);
        Assert.Equal(url, (string?)request[type]!["link"]);
        Assert.Equal("Here it is.", (string?)request[type]!["caption"]);
        Assert.Equal(fileName, (string?)request[type]!["filename"]);
        Assert.Null(request["text"]);
    }

    [Fact]
    public async Task Error_131047_window_closed_sends_the_actions_approved_template_instead()
    {
        await using var host = await MetaTestHost.StartAsync(p =>
        {
            var action = FreeForm();
            action.Template = new WhatsAppTemplate { TemplateId = "booking_confirmed", Variables = { ["1"] = "42" } };
            p.Actions.Add(action);
        });
        var session = host.StartCall();
        await host.OpenWindowAsync(); // the local record says the window is open; Meta's clock disagrees
        host.Graph.ThenError(131047);

        var result = await host.InvokeAsync(session, "send_details");

        Assert.Equal("sent", Status(result));
        Assert.Equal(2, host.Graph.Requests.Count);
        Assert.Equal("text", (string?)host.Graph.Requests[0].Body["type"]);
        Assert.Equal("template", (string?)host.Graph.Requests[1].Body["type"]);
        Assert.Equal("booking_confirmed", (string?)host.Graph.Requests[1].Body["template"]!["name"]);
        Assert.Equal(result.GetProperty("message_id").GetString(), session.Messages.Single(m => m.Direction == MessageDirection.Outbound).MessageId);
    }

    [Theory]
    [InlineData(131047, "whatsapp_window_closed", "24 hours")]
    [InlineData(131026, "not_on_whatsapp", "could not deliver")]
    [InlineData(132000, "rejected", "different number of values")]
    [InlineData(132001, "rejected", "does not exist in this language")]
    [InlineData(190, "rejected", "access token")]
    public async Task Documented_error_codes_become_a_failed_result_the_model_can_act_on(int code, string reason, string detail)
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(FreeForm()));
        var session = host.StartCall();
        await host.OpenWindowAsync();
        host.Graph.ThenError(code, httpStatus: code == 190 ? 401 : 400);

        var result = await host.InvokeAsync(session, "send_details");

        Assert.Equal("failed", Status(result));
        Assert.Equal(reason, result.GetProperty("reason").GetString());
        Assert.Contains(detail, result.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single(host.Graph.Requests); // refused for certain: never retried
    }

    [Theory]
    [InlineData(130429)]
    [InlineData(131056)]
    public async Task A_rate_limit_is_retried_with_the_same_request_and_then_succeeds(int code)
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(FreeForm()));
        var session = host.StartCall();
        await host.OpenWindowAsync();
        host.Graph.ThenError(code);

        var result = await host.InvokeAsync(session, "send_details");

        Assert.Equal("sent", Status(result));
        Assert.Equal(2, host.Graph.Requests.Count);
        Assert.Equal(host.Graph.Requests[0].Body.ToJsonString(), host.Graph.Requests[1].Body.ToJsonString());
    }

    [Fact]
    public async Task A_rate_limit_that_outlasts_the_retries_is_a_rate_limited_result()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(FreeForm()), meta: o => o.MaxRetries = 2);
        var session = host.StartCall();
        await host.OpenWindowAsync();
        host.Graph.ThenError(130429).ThenError(130429).ThenError(130429).ThenError(130429);

        var result = await host.InvokeAsync(session, "send_details");

        Assert.Equal("failed", Status(result));
        Assert.Equal("rate_limited", result.GetProperty("reason").GetString());
        Assert.Equal(3, host.Graph.Requests.Count);
    }

    [Fact]
    public async Task A_server_error_is_never_retried_and_the_same_send_is_not_repeated()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(FreeForm()));
        var session = host.StartCall();
        await host.OpenWindowAsync();
        host.Graph.ThenError(2, httpStatus: 500);

        var first = await host.InvokeAsync(session, "send_details");
        var again = await host.InvokeAsync(session, "send_details");

        Assert.Equal("failed", Status(first));
        Assert.Contains("may or may not have been sent", first.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("blocked", Status(again));
        Assert.Equal("may_have_been_sent", again.GetProperty("reason").GetString());
        Assert.Single(host.Graph.Requests);
    }

    [Fact]
    public async Task A_host_wide_resilience_handler_does_not_retry_a_send_whose_outcome_is_unknown()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(FreeForm()),
            services: s => s.ConfigureHttpClientDefaults(client => client.AddStandardResilienceHandler()));
        var session = host.StartCall();
        await host.OpenWindowAsync();
        host.Graph.ThenError(1, httpStatus: 500);

        var result = await host.InvokeAsync(session, "send_details");

        Assert.Equal("failed", Status(result));
        Assert.Single(host.Graph.Requests);
    }

    [Fact]
    public async Task A_connection_dropped_after_the_request_went_out_is_not_retried()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(FreeForm()));
        var session = host.StartCall();
        await host.OpenWindowAsync();
        host.Graph.ThenDropConnection();

        var result = await host.InvokeAsync(session, "send_details");

        Assert.Equal("failed", Status(result));
        Assert.Contains("may or may not have been sent", result.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single(host.Graph.Requests);
    }

    [Fact]
    public async Task A_template_value_that_renders_empty_sends_nothing()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(new InCallMessageAction
        {
            Name = "send_code",
            Description = "Sends the caller a verification code on WhatsApp.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Parameters = new ActionParameters { Properties = { ["code"] = new ActionParameter { Description = "The code." } } },
            Template = new WhatsAppTemplate { TemplateId = "verify_code", Variables = { ["1"] = "{{ code }}", ["button.0"] = "{{ code }}" } },
        }));
        var session = host.StartCall();

        var result = await host.InvokeAsync(session, "send_code");

        Assert.Equal("failed", Status(result));
        Assert.Contains("half filled", result.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(host.Graph.Requests);
    }
}
