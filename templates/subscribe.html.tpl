{{%AUTOESCAPE context="HTML"}}<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{HEADING}} · {{LIST_TITLE}}</title>
<style>
body { margin: 0; background: #f3f4f6; color: #1f2937; font: 16px/1.5 Arial, Helvetica, sans-serif; }
main { max-width: 560px; margin: 48px auto; padding: 24px 32px; background: #fff; border-top: 6px solid #1d4e89; }
.list { margin: 0; font-size: 14px; color: #4b5563; }
h1 { margin: 4px 0 16px; font-size: 24px; color: #1d4e89; }
input[type=email], input[type=text] { width: 100%; max-width: 420px; box-sizing: border-box; padding: 8px; font-size: 16px; }
button { padding: 12px 24px; border: 0; border-radius: 4px; background: #1d4e89; color: #fff; font-size: 18px; cursor: pointer; }
.note, .infolettre-consent { font-size: 14px; color: #4b5563; }
.infolettre-error { color: #9b1c1c; }
</style>
</head>
<body>
<main>
<p class="list">{{LIST_TITLE}}</p>
<h1>{{HEADING}}</h1>
{{#TEXT_SECTION}}<p>{{TEXT}}</p>
{{/TEXT_SECTION}}{{#FORM}}{{HTML:none}}
{{/FORM}}{{#CONFIRM}}<form method="post" action="{{ACTION}}">
<input type="hidden" name="c" value="{{TOKEN}}">
<input type="hidden" name="confirm" value="1">
<button type="submit">{{BUTTON}}</button>
</form>
{{/CONFIRM}}{{#NOTE_SECTION}}<p class="note">{{NOTE}}</p>
{{/NOTE_SECTION}}</main>
</body>
</html>
