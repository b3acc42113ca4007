using InCallMessaging.SemanticKernel;
using VoiceBotHost.Agent;

namespace VoiceBotHost.Tests.Agent;

/// <summary>One-time codes made and checked by the server: fresh per send, compared on digits, limited tries, used once.</summary>
public sealed class OneTimeCodesTests
{
    private static CallSession NewCall()
    {
        var runtime = InCallMessagingRuntime.Create(new InCallMessagingOptions
        {
            Senders = { ["default"] = new MessageSenderOptions { Provider = LoopbackMessageProvider.ProviderName, From = "+14155550199" } },
            Actions = { new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary." } },
        });
        return runtime.Calls.StartCall("CA" + Guid.NewGuid().ToString("N"), "+14155550123", "+14155550199");
    }

    [Fact]
    public void Each_send_gets_a_fresh_six_digit_code_in_the_call_variable_the_template_reads()
    {
        var codes = new OneTimeCodes();
        var call = NewCall();
        var seen = new HashSet<string>();

        for (var i = 0; i < 20; i++)
        {
            codes.Issue(call);
            var code = call.GetVariable(OneTimeCodes.Variable)!;
            Assert.Matches("^[0-9]{6}$", code);
            seen.Add(code);
        }

        Assert.True(seen.Count > 1, "Codes come from the random number generator, not a fixed value.");
    }

    [Theory]
    [InlineData("It's {0}.")]
    [InlineData("{0}")]
    [InlineData("{1}")]
    public void The_code_matches_however_the_caller_gives_it(string answer)
    {
        var codes = new OneTimeCodes();
        var call = NewCall();
        codes.Issue(call);
        var code = call.GetVariable(OneTimeCodes.Variable)!;
        string[] words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
        var spoken = string.Join(' ', code.Select(d => words[d - '0']));

        Assert.Equal(CodeCheck.Verified, codes.Check(call, string.Format(System.Globalization.CultureInfo.InvariantCulture, answer, string.Join(' ', code.ToCharArray()), spoken)));
        Assert.Null(call.GetVariable(OneTimeCodes.Variable));
        Assert.Equal(CodeCheck.NoCode, codes.Check(call, code));
    }

    [Fact]
    public void Three_wrong_tries_void_the_code()
    {
        var codes = new OneTimeCodes();
        var call = NewCall();
        codes.Issue(call);
        var code = call.GetVariable(OneTimeCodes.Variable)!;
        var wrong = code[..5] + (code[5] == '9' ? '0' : (char)(code[5] + 1));

        Assert.Equal(CodeCheck.NoMatch, codes.Check(call, wrong));
        Assert.Equal(CodeCheck.NoMatch, codes.Check(call, "12345"));
        Assert.Equal(CodeCheck.TooManyAttempts, codes.Check(call, wrong));
        Assert.Equal(CodeCheck.TooManyAttempts, codes.Check(call, code));
    }

    [Fact]
    public void Without_a_code_sent_nothing_verifies()
    {
        Assert.Equal(CodeCheck.NoCode, new OneTimeCodes().Check(NewCall(), "123456"));
    }
}
