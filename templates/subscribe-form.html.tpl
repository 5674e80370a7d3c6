{{%AUTOESCAPE context="HTML"}}<form class="infolettre-subscribe" method="post" action="{{ACTION}}" accept-charset="utf-8" lang="{{LANG}}">
{{#ERROR}}<p class="infolettre-error" role="alert"><strong>{{TEXT}}</strong></p>
{{/ERROR}}<p><label for="infolettre-email">{{L_SUB_EMAIL}}</label><br>
<input id="infolettre-email" type="email" name="email" value="{{EMAIL}}" required maxlength="254" autocomplete="email" size="32"></p>
<p><label for="infolettre-name">{{L_SUB_NAME}}</label><br>
<input id="infolettre-name" type="text" name="name" value="{{NAME}}" maxlength="200" autocomplete="name" size="32"></p>
<p class="infolettre-website" hidden aria-hidden="true"><label for="infolettre-website">{{L_SUB_HONEYPOT}}</label>
<input id="infolettre-website" type="text" name="website" value="" tabindex="-1" autocomplete="off"></p>
<input type="hidden" name="ts" value="{{STAMP}}">
<p class="infolettre-consent">{{CONSENT}}</p>
<p><button type="submit">{{L_SUB_BUTTON}}</button></p>
</form>
