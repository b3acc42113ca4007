using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>Media URL templates render to absolute https URLs, or nothing is said or sent and the model is told why.</summary>
public sealed class OutboundMediaTests
{
    private static InCallMessageAction Document(params string[] mediaUrls) => new()
    {
        Name = "send_document",
        Description = "Text the caller a document.",
        Body = "Here is your document.",
        MediaUrls = [.. mediaUrls],
        MessageBeforeAction = "Texting it now.",
        MessageOnFailure = "Sorry, that didn't go through.",
        Parameters = new ActionParameters
        {
            Properties =
            {
                ["doc_url"] = new ActionParameter { Description = "The document's address." },
                ["doc_id"] = new ActionParameter { Description = "The document number." },
            },
        },
    };

    private static Task<System.Text.Json.JsonElement> SendAsync(Harness h, KernelArguments arguments) => h.InvokeAsync("send_document", arguments);

    [Theory]
    [InlineData("ftp://files.example.com/invoice-42.pdf")]
    [InlineData("http://files.example.com/invoice-42.pdf")]
    [InlineData("files.example.com/invoice-42.pdf")]
    [InlineData("/invoices/invoice-42.pdf")]
    [InlineData("https:invoice-42.pdf")]
    public async Task A_media_url_that_does_not_render_to_absolute_https_is_invalid_arguments_and_nothing_is_said_or_sent(string url)
    {
        var h = Harness.Start(TestRuntime.Options(Document("<doc_url>")));

        var result = await SendAsync(h, new KernelArguments { ["doc_url"] = url });

        Assert.Equal("invalid_arguments", result.Status());
        var error = Assert.Single(result.GetProperty("errors").EnumerateArray());
        Assert.Equal("MediaUrls[0]", error.Str("field"));
        Assert.Equal($"must render to an absolute https:// URL (it rendered to '{url}'); it is built from doc_url", error.Str("problem"));
        Assert.Contains("Nothing was sent", result.Str("detail"), StringComparison.Ordinal);
        Assert.Empty(h.Loopback.SentMessages);
        Assert.Empty(h.Speech.Lines);
    }

    [Fact]
    public async Task Every_bad_media_url_is_listed_by_its_index()
    {
        var h = Harness.Start(TestRuntime.Options(Document("https://files.example.com/<doc_id>.pdf", "{{ doc_url }}", "http://files.example.com/{{ doc_id }}.png")));

        var result = await SendAsync(h, new KernelArguments { ["doc_id"] = "42", ["doc_url"] = "mailto:a@example.com" });

        Assert.Equal("invalid_arguments", result.Status());
        Assert.Equal(["MediaUrls[1]", "MediaUrls[2]"], result.GetProperty("errors").EnumerateArray().Select(e => e.Str("field")));
        Assert.Empty(h.Loopback.SentMessages);
    }

    [Fact]
    public async Task An_absolute_https_media_url_is_attached()
    {
        var h = Harness.Start(TestRuntime.Options(Document("https://files.example.com/invoices/invoice-<doc_id>.pdf")));

        var result = await SendAsync(h, new KernelArguments { ["doc_id"] = "42" });

        Assert.Equal("sent", result.Status());
        var message = Assert.Single(h.Loopback.SentMessages).Message;
        Assert.Equal([new Uri("https://files.example.com/invoices/invoice-42.pdf")], message.MediaUrls);
        Assert.Equal("Here is your document.", message.Body);
    }

    [Fact]
    public async Task A_media_url_that_renders_empty_attaches_nothing_and_the_text_still_goes()
    {
        var h = Harness.Start(TestRuntime.Options(Document("{{ if doc_url }}{{ doc_url }}{{ end }}")));

        var result = await SendAsync(h, []);

        Assert.Equal("sent", result.Status());
        Assert.Empty(Assert.Single(h.Loopback.SentMessages).Message.MediaUrls);
    }

    [Fact]
    public async Task A_long_rendered_value_is_shortened_in_the_problem()
    {
        var h = Harness.Start(TestRuntime.Options(Document("<doc_url>")));

        var result = await SendAsync(h, new KernelArguments { ["doc_url"] = "ftp://" + new string('x', 500) });

        var problem = Assert.Single(result.GetProperty("errors").EnumerateArray()).Str("problem")!;
        Assert.True(problem.Length < 250, problem);
        Assert.Contains("…'", problem, StringComparison.Ordinal);
    }
}
