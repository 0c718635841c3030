/**
 * Function words of English and German (the languages of the held-out sets of issue 9). The
 * models keep them as features (a bigram such as `not start` needs its `not`), but an
 * explanation never names them: "because of `the`" tells an operator nothing. Words that carry
 * meaning in operations (`down`, `up`, `off`, `out`, `over`, `under`) are not on the list.
 */
const ENGLISH = `
a about after again against all am an and any are as at be because been before being between both
but by can could did do does doing during each few for from further had has have having he her here hers
him his how i if in into is it its itself just me more most my no nor not now of on once only or other our
ours own same she should so some such than that the their theirs them then there these they this those
through to too until very was we were what when where which while who whom why will with would you your
yours yourself hi hello dear please thanks thank regards kind best also still keeps keep someone something anyone
since again get got one ones let lets may might must shall us via per etc re
`;

const GERMAN = `
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm andern
anders auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein deine deinem deinen deiner dem den
denn der derer des dessen dich die dies diese dieselbe dieselben diesem diesen dieser dieses dir doch dort du
durch ein eine einem einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch euer
eure für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren
ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine
keinem keinen keiner keines können könnte machen man manche manchem manchen mancher manches mein meine meinem
meinen meiner meines mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem
seinen seiner seines selbst sich sie sind so solche solchem solchen solcher solches soll sollte sondern sonst
um und uns unsere unserem unseren unser unseres unter viel vom von vor während war waren warst was weg weil
weiter welche welchem welchen welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte
würde würden zu zum zur zwar zwischen bitte danke hallo immer jemand schon seit
`;

const STOPWORDS = new Set([...ENGLISH.split(/\s+/), ...GERMAN.split(/\s+/)].filter((w) => w !== ''));

/** Whether an explanation term is a function word (lower-case input). */
export function isStopword(term: string): boolean {
  return STOPWORDS.has(term);
}
