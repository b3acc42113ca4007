using System.Text.Json.Nodes;
using VoiceBotHost.Simulator;

namespace VoiceBotHost.Tests.Llm;

/// <summary>The offline demo model's rules, on the same OpenAI-shaped messages a real model gets.</summary>
public sealed class DemoModelTests
{
    private static readonly string[] Tools = ["messaging-send_otp", "messaging-collect_email", "messaging-send_payment_link", "messaging-send_summary"];

    private static JsonObject User(string text) => new() { ["role"] = "user", ["content"] = text };

    private static JsonObject Call(string id, string name, object arguments) => new()
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["id"] = id,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = name, ["arguments"] = System.Text.Json.JsonSerializer.Serialize(arguments) },
        }),
    };

    private static JsonObject Result(string id, object result) => new()
    {
        ["role"] = "tool",
        ["tool_call_id"] = id,
        ["content"] = System.Text.Json.JsonSerializer.Serialize(result),
    };

    [Theory]
    [InlineData("Can you text me a verification code?", "messaging-send_otp")]
    [InlineData("I'll text you my email", "messaging-collect_email")]
    [InlineData("I want to pay my bill", "messaging-send_payment_link")]
    [InlineData("Please text me a summary", "messaging-send_summary")]
    public void Caller_requests_become_tool_calls(string said, string tool)
    {
        var answer = DemoModel.Answer([User(said)], Tools);

        Assert.Equal(tool, answer.ToolName);
    }

    [Fact]
    public void A_code_request_sends_a_random_six_digit_code()
    {
        var answer = DemoModel.Answer([User("verify me please")], Tools);

        Assert.Matches("^[0-9]{6}$", (string?)answer.Arguments!["otp_code"]);
    }

    [Fact]
    public void A_returned_code_is_compared_with_the_one_sent()
    {
        JsonArray matching = [User("code please"), Call("c1", "messaging-send_otp", new { otp_code = "123456" }), Result("c1", new { status = "replied", reply = "123456" })];
        JsonArray wrong = [User("code please"), Call("c1", "messaging-send_otp", new { otp_code = "123456" }), Result("c1", new { status = "answered_by_voice", reply = "one two three" })];
        JsonArray none = [User("code please"), Call("c1", "messaging-send_otp", new { otp_code = "123456" }), Result("c1", new { status = "no_reply", reason = "timeout" })];

        Assert.Equal("Thanks, your code 123456 is verified.", DemoModel.Answer(matching, Tools).Text);
        Assert.Contains("doesn't match", DemoModel.Answer(wrong, Tools).Text, StringComparison.Ordinal);
        Assert.Contains("didn't get the code back", DemoModel.Answer(none, Tools).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_code_read_out_in_words_counts()
    {
        JsonArray spoken = [User("code please"), Call("c1", "messaging-send_otp", new { otp_code = "482913" }), Result("c1", new { status = "answered_by_voice", reply = "It's four eight two nine one three." })];

        Assert.Equal("Thanks, your code 482913 is verified.", DemoModel.Answer(spoken, Tools).Text);
    }

    [Fact]
    public void A_texted_reply_line_is_acknowledged()
    {
        var answer = DemoModel.Answer([User("hi"), User("[SMS Reply]: running late, sorry")], Tools);

        Assert.Null(answer.ToolName);
        Assert.Contains("running late, sorry", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_summary_is_written_from_what_the_tools_reported()
    {
        JsonArray messages =
        [
            User("code"), Call("c1", "messaging-send_otp", new { otp_code = "654321" }), Result("c1", new { status = "replied", reply = "654321" }),
            User("pay"), Call("c2", "messaging-send_payment_link", new { amount = "$49.00" }), Result("c2", new { status = "sent" }),
            User("text me a summary"),
        ];

        var answer = DemoModel.Answer(messages, Tools);

        Assert.Equal("messaging-send_summary", answer.ToolName);
        Assert.Equal("Acme call summary: your phone number was verified; we sent a payment link for $49.00 to your WhatsApp. Reply to this text if you have any questions.",
            (string?)answer.Arguments!["message"]);
    }

    [Fact]
    public void Without_the_tool_on_offer_it_just_talks()
    {
        var answer = DemoModel.Answer([User("text me a code")], []);

        Assert.Null(answer.ToolName);
        Assert.Contains("verification code", answer.Text, StringComparison.Ordinal);
    }
}
