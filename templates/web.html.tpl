{{%AUTOESCAPE context="HTML"}}<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{SUBJECT}}</title>
<style>
body { margin: 0; background: #f3f4f6; color: #1f2937; font: 16px/1.5 Arial, Helvetica, sans-serif; }
main { max-width: 640px; margin: 0 auto; background: #fff; }
header { background: #1d4e89; color: #fff; padding: 24px; }
header p { margin: 0; font-size: 13px; color: #dbe7f6; }
header h1 { margin: 4px 0 0; font-size: 26px; line-height: 1.25; }
section, .editorial { padding: 8px 24px; }
h2 { color: #1d4e89; border-bottom: 2px solid #1d4e89; padding-bottom: 4px; }
article { display: flex; gap: 12px; margin: 0 0 16px; }
article img { width: 120px; height: auto; flex: none; }
article h3 { margin: 0 0 4px; font-size: 17px; }
a { color: #1d4e89; }
.when { margin: 0 0 4px; font-size: 14px; color: #4b5563; }
footer { padding: 24px; background: #f9fafb; font-size: 13px; color: #4b5563; }
</style>
</head>
<body>
<main>
<header>
<p>{{ISSUE_LABEL}}</p>
<h1>{{TITLE}}</h1>
</header>
{{#EDITORIAL}}<div class="editorial">{{EDITORIAL_HTML:none}}</div>
{{/EDITORIAL}}{{#SECTION}}<section>
<h2>{{HEADING}}</h2>
{{#ITEM}}<article>
{{#THUMB}}<a href="{{URL}}"><img src="{{IMAGE_URL}}" alt="{{IMAGE_ALT}}" width="120"></a>
{{/THUMB}}<div>
<h3><a href="{{URL}}">{{ITEM_TITLE_HTML:none}}</a></h3>
{{#WHEN}}<p class="when">{{DATE_LABEL}}{{#WHERE}} · {{LOCATION}}{{/WHERE}}</p>
{{/WHEN}}{{#DESCRIPTION}}{{DESCRIPTION_HTML:none}}
{{/DESCRIPTION}}{{#CALENDAR}}<p class="calendar"><a href="{{CALENDAR_URL}}">{{L_ADD_TO_CALENDAR}}</a></p>
{{/CALENDAR}}</div>
</article>
{{/ITEM}}</section>
{{/SECTION}}<footer>
<p>{{FOOTER_NOTE}}</p>
</footer>
</main>
</body>
</html>
