/**
 * Translations of the domain vocabularies of domain-lexicon.ts, written by hand for slm-router.
 * A hit of one of these words counts as the same `lex:<domain>` feature as an English lexicon word,
 * so a problem written in another language borrows the weight learned mostly from English data.
 *
 * Languages, in this order within each list: German, French, Spanish, Portuguese, Russian,
 * Hindi (Devanagari), Chinese (simplified) and Japanese. Entries are single tokens, lowercase
 * and in NFKC form (what the text normaliser produces), with the inflected forms that problems
 * commonly use (plurals, cases, feminine forms). Chinese and Japanese entries are words of 2 to 4
 * characters, since those scripts are written without spaces.
 *
 * As in the English lists, a word belongs to one domain only: words that are common in two
 * domains (function/Funktion/函数/関数, table, solution/Lösung, value, cycle/цикл, string/строка,
 * class/クラス, molecule/numerator 分子, electron/electronic 电子/電子, matrix/queue 行列) and very
 * common words are left out. Words already in the English lists are not repeated here.
 */
import type { ClassifierDomain } from './domains';

export const MULTILINGUAL_WORDS: Record<ClassifierDomain, string> = {
  math: `gleichung gleichungen ungleichung ungleichungen gleichungssystem primzahl primzahlen polynom polynome polynoms
    ableitung ableitungen ableiten integrale integrieren differenzieren matrizen wahrscheinlichkeit
    wahrscheinlichkeiten summe teilbar teiler nenner prozent durchschnitt mittelwert geometrie dreieck dreiecke
    dreiecks dreiecken winkel winkels flächeninhalt quadrat quadrate quadratwurzel würfel ziffer ziffern
    multiplizieren multipliziere dividieren dividiere subtrahieren subtrahiere addieren addiere arithmetik
    beweisen beweise vektor vektoren logarithmus logarithmen exponenten ggt kgv vereinfache vereinfachen
    koeffizient koeffizienten parabel hyperbel vieleck rechteck rechtecks sechseck fünfeck durchmesser sinus
    kosinus tangens asymptoten unendlich teilmenge teilmengen untergruppe eigenwert eigenwerte determinante
    permutationen kombinatorik binomialkoeffizient dezimalzahl dezimalzahlen quadratische quadratischen
    parallelogramm trapez kongruent diagonale diagonalen geometrisch geometrische mathematik mathe reelle
    irrationale vielfache vielfaches nullstelle nullstellen kurvendiskussion tangente steigung lösungsmenge
    definitionsbereich extremwert exponentialfunktion stochastik erwartungswert standardabweichung varianz
    gleichschenklig gleichseitig rechtwinklig kathete katheten dreisatz bruchrechnung primfaktor primfaktoren
    primfaktorzerlegung teilbarkeit kreisfläche kreisumfang
    équation équations inéquation inéquations polynôme polynômes dérivée dérivées intégrale intégrales probabilité
    probabilités diviseur diviseurs pourcentage médiane géométrie cercle cercles périmètre aire carré carrés
    factorielle multiplier diviser soustraire additionner algèbre arithmétique théorème théorèmes démontrer
    démontrez lemme vecteur vecteurs logarithme logarithmes exposant pgcd ppcm simplifier simplifiez polygone
    pentagone diamètre circonférence hypoténuse cosinus combinatoire dénombrement décimal décimale décimaux
    numérateur dénominateur quadratique parallélogramme trapèze losange perpendiculaire perpendiculaires
    diagonales abscisse mathématiques mathématique rationnel irrationnel irrationnels équilatéral isocèle
    trigonométrie trigonométrique binôme dérivable intégrable divisibles divisibilité multiplication soustraction
    probabiliste
    ecuación ecuaciones inecuación inecuaciones polinomio polinomios derivada derivadas integrales matriz
    probabilidad probabilidades suma cociente residuo divisores fracción fracciones porcentaje promedio mediana
    geometría triángulo triángulos círculo circunferencia ángulo ángulos perímetro cuadrado cuadrados cubo dígito
    dígitos multiplicar dividir restar sumar álgebra aritmética teorema demostrar demuestre demuestra vectores
    logaritmo logaritmos exponente exponentes mcd mcm simplificar simplifica coeficiente coeficientes hipérbola
    elipse polígono rectángulo hexágono pentágono diámetro hipotenusa coseno asíntota subconjunto subgrupo
    autovalor autovalores permutación permutaciones combinatoria combinaciones decimales numerador denominador
    cuadrática cuadrático lineal paralelogramo trapecio rombo congruente vértice vértices geométrico geométrica
    matemáticas matemática matemático racional irracional múltiplo múltiplos trigonometría isósceles equilátero
    binomio incógnita divisibilidad
    equação equações inequação inequações polinômio polinômios polinómio integrais matrizes probabilidade soma
    quociente divisível fração frações porcentagem percentagem geometria triângulo triângulos circunferência
    ângulo ângulos quadrado quadrados fatorial subtrair somar demonstrar demonstre vetor vetores expoente
    expoentes mdc mmc simplifique retângulo diâmetro cosseno assíntota permutação permutações combinatória
    decimais quadrática trapézio losango trigonometria binômio divisibilidade
    уравнение уравнения уравнений уравнением уравнении уравнениях неравенство неравенства неравенств многочлен
    многочлена многочлены полином производная производной производную производные интеграл интеграла интегралы
    интегралом матрица матрицы матрицу матриц вероятность вероятности вероятностью делится делимость делитель
    делители дробь дроби процент процентов медиана медиану геометрия геометрии треугольник треугольника
    треугольники треугольнике треугольников окружность окружности радиус радиуса периметр квадрат квадрата
    факториал цифр цифры цифра вычесть алгебра алгебры арифметика теорема теоремы теорему докажите доказать
    доказательство вектор векторы вектора логарифм логарифма нод нок упростите упростить коэффициент коэффициенты
    парабола параболы гипербола эллипс многоугольник прямоугольник прямоугольника шестиугольник пятиугольник
    диаметр гипотенуза синус косинус тангенс асимптота подмножество подгруппа определитель перестановка
    перестановки комбинаторика сочетаний десятичная десятичных числитель знаменатель квадратное квадратного
    квадратный параллелограмм трапеция ромб перпендикуляр перпендикулярны диагональ диагонали математика
    математики математике иррациональное кратное кратно кратных тригонометрия равнобедренный биссектриса катет
    катеты
    समीकरण समीकरणों असमिका अभाज्य बहुपद बहुपदों अवकलज समाकलन समाकल अवकलन आव्यूह प्रायिकता योगफल भागफल शेषफल
    विभाज्य भाजक प्रतिशत औसत माध्यिका ज्यामिति त्रिभुज त्रिभुजों वृत्त त्रिज्या कोण कोणों परिमाप क्षेत्रफल वर्गमूल
    गुणनखंड क्रमगुणित गुणा बीजगणित अंकगणित प्रमेय उपपत्ति सदिश लघुगणक घातांक महत्तम लघुत्तम व्यंजक गुणांक परवलय
    अतिपरवलय दीर्घवृत्त बहुभुज षट्भुज पंचभुज परिधि कोज्या स्पर्शज्या समुच्चय उपसमुच्चय उपसमूह सारणिक क्रमचय दशमलव
    द्विघात रैखिक चतुर्भुज समलंब समचतुर्भुज सर्वांगसम लंबवत विकर्ण कलन गणित गणितीय परिमेय अपरिमेय गुणज त्रिकोणमिति
    समद्विबाहु समबाहु भाज्य
    方程 方程式 不等式 整数 质数 素数 多项式 导数 积分 矩阵 概率 求和 余数 整除 约数 因数 分数 分母 百分比 平均数
    中位数 几何 三角形 圆周 半径 周长 面积 平方 立方 立方体 平方根 因式 阶乘 乘法 除法 减法 加法 代数 算术 定理
    证明 引理 向量 对数 数列 级数 取模 公约数 公倍数 化简 系数 抛物线 双曲线 椭圆 多边形 矩形 长方形 六边形 五边形
    直径 斜边 正弦 余弦 正切 渐近线 子集 子群 同态 同构 特征值 行列式 排列组合 组合数 小数 一元二次 二次函数
    线性代数 梯形 菱形 全等 顶点 对角线 坐标 坐标轴 截距 斜率 微积分 数学 实数 有理数 无理数 倍数 三角函数
    等差数列 等比数列 勾股定理 奇数 偶数 正方形 圆锥 圆柱 求导 导函数 定积分 不定积分 微分方程 解方程 未知数 根号
    方差 标准差 期望值 概率论 因式分解 平行线 等腰 直角 锐角 钝角 圆心
    多項式 導関数 微分 積分 確率 余り 約数 百分率 平均値 中央値 幾何 円周 面積 因数分解 階乗 掛け算 割り算 引き算
    足し算 算数 証明 補題 ベクトル 対数 級数 公約数 係数 放物線 双曲線 楕円 多角形 長方形 六角形 五角形 斜辺 正接
    漸近線 部分集合 部分群 準同型 同型 固有値 順列 組合せ 二次関数 一次関数 台形 ひし形 頂点 対角線 座標 切片
    微積分 実数 複素数 無理数 三角比 三平方 円錐 円柱 期待値 標準偏差 素因数 約分 通分 二等辺 鋭角 鈍角 平行線`,
  code: `programmierung programmieren programmiere programmiersprache programmierer programmiererin quellcode quelltext
    programmcode schleife schleifen endlosschleife zeichenkette zeichenketten zeichenfolge datenbank datenbanken
    datenbankabfrage abfrage abfragen rekursion rekursiv rekursive rekursiven algorithmus algorithmen kompilieren
    kompiliert kompilierung laufzeitfehler fehlermeldung fehlermeldungen debuggen debugger fehlersuche skript
    skripte skriptsprache hashtabelle verkettete schnittstelle datei dateien verzeichnis verzeichnisse ordner
    kommandozeile variablen sortieren sortiert sortieralgorithmus iterieren syntaxfehler softwareentwicklung
    entwickler entwicklerin implementieren implementiere implementierung codezeile arbeitsspeicher prozessor
    betriebssystem benutzeroberfläche webseite datentyp datentypen rückgabewert funktionsaufruf nebenläufigkeit
    speicherleck testfall testfälle versionskontrolle spalte spalten binärbaum suchbaum objektorientiert
    konstruktor programmiert
    programmation programmeur programmeuse développeur développeuse développeurs coder codeur boucle boucles
    requête requêtes récursivité récursion récursif récursive algorithme algorithmes compilateur débogage déboguer
    débogueur bogue bogues pointeur pointeurs fichier fichiers serveur serveurs processeur octet octets booléen
    booléens itérer itération syntaxe logiciel logiciels implémenter implémentation informatique ordinateur
    ordinateurs sérialisation compilé exécutable algorithmique interpréteur plantage récursives jointure jointures
    arborescence sousprogramme hachage itératif itérations récursifs programmeurs informaticien informaticienne
    codeurs codage implémente implémentée encapsulation instanciation instancier exécutables sérialiser
    désérialiser booléenne syntaxique tableur programmé débogués
    programación programar programador programadores programadora código códigos bucle bucles recursión
    recursividad recursivo recursiva algoritmo algoritmos compilador compilar depurar depuración depurador puntero
    punteros carpeta carpetas servidor servidores procesador booleano booleanos iterar iteración desarrollador
    desarrolladores informática computadora computadoras ordenador computación compilado ejecutable codificar
    codificación subrutina repositorio enlazada enlazadas codigo compiladores depurando recursivas recursivos
    iterador iteraciones booleana desbordamiento informático informáticos subcadena subcadenas encapsulamiento
    instanciar programadoras
    programação recursão recursividade depuração ponteiro ponteiros processador iteração desenvolvedor
    desenvolvedores computador computadores computação executável codificação repositório encadeada variável
    variáveis iterações desenvolvedora requisição requisições executáveis codar codando
    программирование программировании программированию программист программиста программисты программистов код
    кода коде кодом массив массива массивы массиве массивов рекурсия рекурсии рекурсивная рекурсивный рекурсивно
    алгоритм алгоритма алгоритмы алгоритмов алгоритму компилятор компилятора компиляция компилировать
    скомпилировать отладка отладки отладчик отладку скрипт скрипта скрипты стек стека хеш хэш файл файла файлы
    файлов файле папка папку сервер сервера сервере процессор кэш байт байта байтов итератор сортировка сортировки
    парсер парсинг фреймворк софт переменная переменные переменной переменную переменных кортеж разработчик
    разработчика разработчики компьютер компьютера компьютере баг баги дебаг репозиторий коммит бэкенд фронтенд
    исходник подстрока подстроки
    प्रोग्रामिंग प्रोग्रामर कोड कोडिंग लूप ऐरे स्ट्रिंग डेटाबेस एल्गोरिदम एल्गोरिथम कलनविधि रिकर्शन रिकर्सिव
    कंपाइलर कंपाइल डिबग डीबग पॉइंटर स्टैक क्वेरी फ़ाइल फाइल फ़ाइलें फाइलें फोल्डर सर्वर कंप्यूटर सॉफ्टवेयर वेरिएबल
    पायथन जावा जावास्क्रिप्ट सिंटैक्स संकलक सरणी बग एपीआई डेवलपर वेबसाइट एचटीएमएल एसक्यूएल संगणक क्रमादेश प्रोसेसर
    थ्रेड सॉर्ट लिनक्स कोडर पाइथन रनटाइम एक्सेप्शन डिबगिंग ऐरेज़ स्ट्रिंग्स हैशमैप इटरेशन वेरिएबल्स सॉफ़्टवेयर
    कंप्यूटरों गिटहब डॉकर यूनिक्स एचटीटीपी कोडबेस बैकएंड फ्रंटएंड कंपाइलेशन
    编程 代码 程序员 数组 字符串 数据库 递归 算法 编译 编译器 运行时 调试 指针 堆栈 队列 哈希 哈希表 链表 接口
    文件夹 命令行 服务器 客户端 线程 缓存 寄存器 字节 布尔 布尔值 迭代 迭代器 排序 模块 软件 内核 变量 列表 元组
    正则 报错 空指针 整型 浮点 浮点数 字符 前端 后端 开发者 源代码 源码 编码 代码块 死循环 二叉树 堆排序 快速排序
    冒泡排序 复杂度 内存泄漏 内存 编程语言 面向对象 构造函数 返回值 数据结构 数据类型 存储过程 主键 外键 字段
    语法错误 编译错误 栈溢出 多线程 服务端 程序设计 脚本语言 调用栈 数据表
    配列 文字列 変数 再帰 デバッグ ポインタ スタック キュー ヒープ ハッシュ ファイル フォルダ コマンド サーバー
    サーバ スレッド レジスタ ブール ソート パーサ カーネル タプル ループ メソッド 実装 整数型 文字型 戻り値 引数
    例外処理 再帰関数 構造体 初期化 変数名 標準出力 条件分岐 演算子 正規表現 バグ 二分木 二分探索 計算量 クエリ
    主キー 外部キー 実行時 非同期 文字列型 関数名 型変換 実行環境 データ型 デバッガ メモリ メモリー 配列要素
    線形探索 変数宣言 構文解析 字句解析 リテラル 参照渡し 値渡し 型推論 ソケット 標準入力 ビルド デプロイ コミット
    マージ エディタ ヌル 真偽値 浮動小数 返り値 無名関数 並列処理 排他制御`,
  science: `physik chemie biologie atome atomen molekül moleküle molekülen elektronen protonen neutronen atomkern ionen
    ionisch kovalent chemisch chemische chemischen säure säuren sauerstoff wasserstoff kohlenstoff stickstoff
    natrium chlorid energie geschwindigkeit beschleunigung schwerkraft gravitation reibung stromkreis magnetisch
    magnetische magnetfeld elektrisch elektrische elektrischen elektrizität welle wellen wellenlänge frequenz
    photonen quanten quantenmechanik thermodynamik temperatur entropie gase flüssigkeit flüssigkeiten festkörper
    zelle zellen genetisch proteine enzym organismus organismen ökosystem fotosynthese photosynthese pflanze
    pflanzen tier tiere bakterien viren gewebe organe blut gehirn neuronen patienten klinisch klinische krankheit
    krankheiten krebs therapie infektion diagnose symptome medizin medizinisch medizinische medikament medikamente
    dosis hormon immunsystem antikörper stoffwechsel planeten sonnensystem umlaufbahn gestein mineralien fossilien
    wetter klima atmosphäre vulkan hypothese wissenschaftler mikroskop ingenieurwesen drehmoment kinetisch
    kinetische isotop radioaktiv radioaktive kernenergie brechung schall katalysator kondensator halbleiter
    verstärker viskosität dichte auftrieb chromosom chromosomen mitose meiose ribosom mitochondrien nährstoffe
    raubtier säugetier säugetiere legierung stahl verbrennung exotherm endotherm lösungsmittel elektrolyse
    spektroskopie optik chirurgie chirurgisch biopsie chronisch akut akute inzidenz prävalenz pathologie erreger
    impfstoff impfung rezeptor rezeptoren entzündung arzt ärzte ärztin krankenhaus bluthochdruck nieren leber
    lunge molekular molekulare teilchen kernspaltung elektromagnetisch schaltkreis siedepunkt schmelzpunkt
    zellkern zellmembran reaktionsgleichung
    physique chimie chimique chimiques biologique atomes atomique molécule molécules moléculaire électron
    électrons ionique covalente acide acides oxygène hydrogène carbone azote chlorure hélium énergie masse vitesse
    accélération gravitationnel frottement magnétique électrique électriques électricité onde ondes fréquence
    quantique thermodynamique chaleur température gaz liquide liquides cellule cellules adn arn gène gènes
    génétique protéine protéines écosystème photosynthèse plante plantes animaux bactérie bactéries organes sang
    cerveau neurone neurones patiente clinique maladie maladies tumeur tumeurs thérapie mortalité diagnostic
    symptômes médical médicale médecine médicament médicaments immunitaire anticorps métabolisme planète planètes
    solaire orbite roches minéraux météo climat atmosphère érosion volcan scientifique scientifiques laboratoire
    ingénierie thermique fluide cinétique radioactif nucléaire réfraction molaire catalyseur oxydation électrode
    condensateur semiconducteur amplificateur viscosité densité chromosomes méiose mitochondrie mitochondries
    nutriments prédateur mammifère mammifères alliage acier réacteur exothermique endothermique soluté solvant
    titrage électrolyse spectroscopie optique chirurgical chirurgicale sérum prévalence pathogène vaccin récepteur
    récepteurs médecin médecins hôpital hospitalisé diabète cardiaque pulmonaire rénal rénale hépatique
    électromagnétique particule particules physicien chimiste biologiste
    física químico química químicos biología biológico átomo átomos atómico molécula moléculas electrón electrones
    protón protones neutrón neutrones iones iónico ácido ácidos oxígeno hidrógeno carbono nitrógeno sodio cloruro
    helio energía velocidad aceleración gravitación gravitacional fricción rozamiento voltaje circuito magnético
    magnética eléctrico eléctrica electricidad onda ondas frecuencia fotón fotones cuántica cuántico termodinámica
    calor temperatura entropía líquido líquidos célula células genético genética proteína proteínas enzima enzimas
    ecosistema fotosíntesis animales bacterias órgano órganos sangre cerebro neurona neuronas paciente pacientes
    clínico clínica enfermedad enfermedades cáncer tumores terapia síndrome infección mortalidad diagnóstico
    síntomas médico médica medicina medicamento medicamentos fármaco fármacos hormona hormonas insulina inmune
    inmunitario anticuerpo anticuerpos metabolismo planeta planetas órbita rocas minerales fósil fósiles clima
    atmósfera erosión volcán experimento científico científicos laboratorio microscopio ingeniería térmico térmica
    fluido turbina cinética isótopo radiactivo radiactiva refracción catalizador oxidación electrodo condensador
    amplificador viscosidad densidad flotabilidad cromosoma cromosomas ribosoma mitocondria mitocondrias
    nutrientes depredador mamífero mamíferos aleación acero combustión exotérmica endotérmica soluto solvente
    disolvente electrólisis espectroscopía óptica cirugía quirúrgico suero biopsia prevalencia patología patógeno
    vacuna vacunas vacunación inflamación hipertensión cardíaco cardiaco pulmonar hepático mutación
    electromagnético partícula partículas físico
    biologia atômico elétron elétrons próton prótons nêutron nêutrons íon íons iônico oxigênio hidrogênio
    nitrogênio sódio cloreto hélio energia velocidade aceleração atrito elétrico elétrica eletricidade frequência
    fóton fótons quântica quântico termodinâmica entropia gás ecossistema fotossíntese bactéria bactérias vírus
    órgão órgãos sangue cérebro neurônio neurônios doença doenças câncer infecção mortalidade sintomas hormônio
    hormônios imunológico anticorpo anticorpos rochas minerais fóssil fósseis atmosfera erosão vulcão cientista
    cientistas laboratório microscópio engenharia radioativo radioativa ímã refração catalisador oxidação eletrodo
    semicondutor viscosidade densidade cromossomo cromossomos ribossomo mitocôndria predador aço reator combustão
    eletrólise espectroscopia cirurgia cirúrgico biópsia prevalência patologia vacina vacinas vacinação inflamação
    hipertensão mutação eletromagnético
    физика физики физике химия химии биология биологии атом атома атомов атомы молекула молекулы молекул электрон
    электрона электронов электроны протон протонов нейтрон нейтронов ион ионы ионов ковалентная кислота кислоты
    кислот кислород водород углерод азот натрий хлорид гелий энергия энергии масса скорость скорости ускорение
    ускорения гравитация трение трения ньютон джоуль джоулей ватт вольт ток тока магнитное магнитного магнитный
    электрический электрическое электрического электричество заряд заряда волна волны частота частоты фотон
    фотонов квантовая квантовый термодинамика теплота температура температуры энтропия газ газа жидкость жидкости
    клетка клетки днк рнк ген гена генов гены генетический белок белка белки фермент ферменты организм организма
    организмов эволюция экосистема фотосинтез растение растения животное животные животных бактерии вирус вируса
    кровь крови мозг мозга нейрон нейроны пациент пациента пациентов клинический заболевание заболевания болезнь
    болезни рак опухоль терапия лечение синдром инфекция смертность диагноз симптомы медицинский медицина
    лекарство лекарства доза гормон инсулин иммунитет антитела метаболизм планета планеты орбита орбиты минерал
    минералы погода климат атмосфера эрозия вулкан эксперимент учёный учёные ученый ученые лаборатория микроскоп
    инженерия тепловой турбина кинетическая изотоп радиоактивный ядерный ядерная магнит линза преломление кельвин
    моль катализатор окисление электрод конденсатор транзистор полупроводник резистор усилитель вязкость плотность
    хромосома хромосомы митоз мейоз рибосома митохондрии хищник млекопитающие сплав сталь реактор горение
    экзотермическая растворитель титрование электролиз спектроскопия оптика хирургия хирургический сыворотка
    плазма биопсия хронический плацебо патология патоген вакцина вакцинация рецептор воспаление врач врача врачи
    больница диабет гипертония сердечный почек печени мутация электромагнитный частица частицы физик химик биолог
    молярная
    भौतिकी रसायन रसायनशास्त्र जीवविज्ञान परमाणु अणु इलेक्ट्रॉन प्रोटॉन न्यूट्रॉन नाभिक आयन अभिक्रिया रासायनिक अम्ल
    ऑक्सीजन हाइड्रोजन कार्बन नाइट्रोजन सोडियम ऊर्जा द्रव्यमान वेग त्वरण गुरुत्वाकर्षण संवेग घर्षण न्यूटन जूल वाट
    वोल्ट विभव विद्युत परिपथ चुंबकीय चुंबक तरंग तरंगदैर्ध्य आवृत्ति फोटॉन क्वांटम ऊष्मागतिकी ऊष्मा तापमान
    एन्ट्रॉपी दाब गैस द्रव कोशिका कोशिकाएं कोशिकाओं डीएनए आरएनए जीन आनुवंशिक प्रोटीन एंजाइम प्रजाति पारिस्थितिकी
    प्रकाशसंश्लेषण पौधे पौधा जंतु जीवाणु विषाणु वायरस ऊतक रक्त मस्तिष्क तंत्रिका रोगी मरीज नैदानिक रोग कैंसर
    ट्यूमर चिकित्सा उपचार मृत्युदर निदान चिकित्सीय दवा दवाई हार्मोन इंसुलिन प्रतिरक्षा एंटीबॉडी उपापचय ग्रह सौर
    चट्टान खनिज जीवाश्म मौसम जलवायु वायुमंडल अपरदन ज्वालामुखी परिकल्पना वैज्ञानिक प्रयोगशाला सूक्ष्मदर्शी
    अभियांत्रिकी इंजीनियरिंग तापीय तरल बलाघूर्ण गतिज समस्थानिक रेडियोधर्मी नाभिकीय लेंस अपवर्तन ध्वनि केल्विन
    सेल्सियस उत्प्रेरक ऑक्सीकरण इलेक्ट्रोड संधारित्र ट्रांजिस्टर अर्धचालक प्रतिरोधक श्यानता घनत्व उत्प्लावन
    गुणसूत्र समसूत्री अर्धसूत्री माइटोकॉन्ड्रिया पोषक स्तनधारी मिश्रधातु इस्पात दहन ऊष्माक्षेपी ऊष्माशोषी विलायक
    विलेय अनुमापन स्पेक्ट्रम प्रकाशिकी सर्जरी सीरम प्लाज्मा बायोप्सी प्लेसीबो रोगजनक टीकाकरण रिसेप्टर सूजन
    चिकित्सक डॉक्टर अस्पताल मधुमेह रक्तचाप फेफड़े गुर्दे यकृत उत्परिवर्तन विद्युतचुंबकीय कण
    物理 化学 生物 生物学 分子式 分子量 质子 中子 原子 原子核 离子 离子键 共价键 化学反应 化学式 化学键 酸性 碱性
    氧气 氢气 氧化 氮气 氯化钠 能量 加速度 重力 万有引力 动量 摩擦 摩擦力 牛顿 焦耳 瓦特 伏特 电压 电流 电阻 电路
    欧姆 磁场 磁性 电磁 电荷 电场 波长 频率 光子 量子 热力学 热量 温度 压强 气压 气体 液体 固体 细胞 基因 遗传
    蛋白质 生物体 物种 进化 生态系统 光合作用 植物 动物 细菌 病毒 器官 血液 心脏 大脑 神经元 患者 临床 疾病 癌症
    肿瘤 治疗 综合征 感染 死亡率 诊断 症状 医学 药物 剂量 激素 胰岛素 免疫 抗体 代谢 新陈代谢 行星 太阳系 轨道
    岩石 矿物 化石 天气 气候 大气 侵蚀 火山 实验 科学家 实验室 显微镜 热能 流体 扭矩 涡轮 动能 势能 同位素 放射性
    核能 磁铁 透镜 折射 声波 开尔文 摄氏度 摩尔 催化剂 电极 电容 电感 晶体管 半导体 电阻器 放大器 粘度 密度 浮力
    染色体 有丝分裂 减数分裂 核糖体 线粒体 栖息地 捕食者 哺乳动物 合金 反应堆 燃烧 放热 吸热 溶质 溶剂 浓度 滴定
    电解 光谱 光学 手术 外科 血清 血浆 活检 病变 慢性 急性 发病率 患病率 安慰剂 病理 病原体 疫苗 接种 受体 炎症
    医生 医院 住院 糖尿病 高血压 心脏病 肾脏 肝脏 突变 电磁波 粒子 物理学 化学家 天文 天文学 地质 溶液 电解质
    核反应 裂变 聚变
    陽子 中性子 イオン 共有結合 化学反応 塩基 アルカリ 酸素 水素 炭素 窒素 ヘリウム 質量 運動量 ジュール ワット
    電圧 電流 電気抵抗 回路 磁場 磁界 磁気 電磁 電荷 電場 電界 波長 周波数 振動数 熱力学 熱量 気圧 気体 細胞
    遺伝子 遺伝 蛋白質 酵素 進化 生態系 光合成 動物 細菌 ウイルス 心臓 神経 神経細胞 臨床 疾患 病気 腫瘍 治療
    症候群 感染症 診断 薬物 投与 ホルモン 代謝 惑星 太陽系 軌道 鉱物 天気 気候 大気 侵食 浸食 実験 仮説 科学者
    実験室 顕微鏡 工学 トルク タービン 同位体 原子力 磁石 レンズ 屈折 音波 ケルビン 摂氏 モル 触媒 酸化 電極
    半導体 増幅器 減数分裂 栄養素 生息地 哺乳類 原子炉 燃焼 発熱反応 吸熱反応 溶質 溶媒 濃度 電気分解 分光 手術
    血漿 生検 病変 発症 有病率 偽薬 プラセボ ワクチン 予防接種 受容体 医師 病院 入院 高血圧 心疾患 腎臓 肝臓
    突然変異 電磁波 化学者 地質学 電解質 核分裂 核融合`,
  other: `krieg kriege kriegs weltkrieg könig königs königin kaiser kaiserin kaiserreich königreich präsident regierung
    verfassung politik politisch politische politiker wirtschaft philosophie philosoph religiös gott kirche bibel
    kultur gesellschaft psychologie wahlkampf autor buch lied lieder musik sänger sängerin schauspieler fernsehen
    mannschaft fußball spieler kunst künstler gemälde gedicht gedichte dichter freund freunde freundin familie
    ehefrau ehemann kinder liebe glücklich traurig urlaub geburtstag hochzeit schule lehrer karriere geld
    ratschlag hund katze haustier wochenende müde langweilig hungrig berühmt sprache sprachen grammatik
    jahrhundert antike dynastie bundeskanzler kanzler parlament firma mitarbeiter kunden ethik buchhaltung
    gesetzgebung kläger angeklagte vertrag verbrechen archäologie anthropologie soziologie geographie geografie
    demokratie republik diplomatie nationalismus kolonialismus sklaverei mittelalter mittelalterlich ideologie
    kapitalismus sozialismus kommunismus feminismus buddhismus christentum judentum tugend werbung verbraucher
    zeitschrift zeitung oper poesie schriftsteller skulptur schlacht armee soldaten pharao imperium literatur
    historiker partei
    guerre guerres roi reine empereur royaume président gouvernement tribunal politique économie philosophe
    religieux religieuse dieu église société élection élections roman auteur livre chanson chansons musique
    chanteur chanteuse acteur actrice télévision équipe joueur joueuse olympiques artiste peinture poème poèmes
    poète ami amie amis famille mari maman papa enfants amour heureux triste recette cuisine nourriture voyage
    voyages vacances hôtel anniversaire mariage école professeur métier carrière conseil chien fatigué célèbre
    grammaire siècle révolution antiquité parlement sénat impôt impôts entreprise employé employés éthique morale
    comptabilité législation contrat criminel archéologie sociologie géographie démocratie république colonisation
    esclavage médiéval idéologie capitalisme socialisme communisme féminisme bouddhisme musulman chrétien
    chrétienne juif juive judaïsme vertu publicité consommateur théâtre poésie romancier musée bataille armée
    soldat soldats pharaon littérature historien citoyen citoyens monarchie
    guerra guerras rey reina emperador imperio reino dinastía presidente gobierno constitución política político
    economía filosofía filósofo religión religioso religiosa dios iglesia biblia cultura sociedad psicología
    elecciones elección voto votar novela libro libros película películas canción canciones música cantante actriz
    televisión deporte deportes fútbol jugador jugadores olímpicos arte artista poema poemas poeta amigo amiga
    amigos familia esposa esposo mamá papá amor feliz cocina cocinar comida restaurante viaje viajar vacaciones
    cumpleaños boda escuela maestro profesor carrera dinero consejo perro gato mascota cansado aburrido hambre
    famoso famosa idioma idiomas gramática siglo revolución parlamento senado congreso impuesto impuestos empresa
    empresas negocio negocios empleado empleados ética contabilidad legislación demandante acusado contrato delito
    crimen arqueología antropología sociología geografía democracia república diplomacia colonización esclavitud
    renacimiento ideología capitalismo socialismo comunismo feminismo budismo cristiano cristianismo judío
    judaísmo musulmán virtud publicidad consumidor consumidores revista teatro poesía novelista museo escultura
    batalla ejército soldados faraón literatura historiador ciudadano ciudadanos monarquía
    rei rainha imperador império dinastia governo constituição economia filosofia religião deus igreja bíblia
    sociedade psicologia eleição eleições romance livro livros filme filmes canção canções cantora ator atriz
    televisão equipe esporte esportes futebol jogador jogadores família marido mãe pai culinária cozinhar viagem
    férias aniversário casamento escola professor professora carreira dinheiro conselho cachorro entediado fome
    século revolução congresso imposto impostos negócio negócios funcionário funcionários contabilidade legislação
    criminoso arqueologia antropologia sociologia geografia colonização escravidão renascimento ideologia cristão
    judeu muçulmano virtude publicidade jornal poesia romancista museu batalha exército faraó cidadão cidadãos
    monarquia
    война войны войне войну король короля королева император империя империи царь царя династия президент
    правительство суд суда конституция политика политики политический экономика экономики философия философ
    религия религии бог бога церковь библия культура культуры общество общества психология выборы выборов
    голосование роман автор книга книги книгу фильм фильма фильмы песня песни музыка музыки певец певица актёр
    актер актриса телевидение спорт футбол игрок олимпийские искусство художник стихи стихотворение поэт друг
    друзья подруга семья семьи жена муж мама папа дети любовь еда ресторан путешествие отпуск каникулы отель
    гостиница свадьба школа учитель карьера деньги совет собака кошка выходные грамматика века революция
    античность царство парламент сенат налог налоги бизнес компания маркетинг сотрудник сотрудники этика мораль
    бухгалтерия законодательство истец ответчик договор преступление преступник археология антропология социология
    география демократия республика дипломатия рабство средневековье средневековый идеология капитализм социализм
    коммунизм феминизм буддизм ислам христианство христианин иудаизм добродетель реклама потребитель газета театр
    поэзия писатель музей скульптура битва сражение армия армии солдаты фараон литература литературы историк
    гражданин монархия князь
    युद्ध राजा रानी सम्राट साम्राज्य राजवंश राष्ट्रपति सरकार कानून न्यायालय अदालत संविधान राजनीति राजनीतिक
    अर्थव्यवस्था अर्थशास्त्र दार्शनिक धर्म धार्मिक भगवान ईश्वर मंदिर मस्जिद चर्च संस्कृति समाज मनोविज्ञान चुनाव
    मतदान उपन्यास लेखक किताब पुस्तक फिल्म फ़िल्म गाना गीत संगीत गायक अभिनेता अभिनेत्री टीवी टीम खेल क्रिकेट फुटबॉल
    खिलाड़ी ओलंपिक कला कलाकार चित्रकला कविता कवि दोस्त मित्र परिवार पत्नी पति माँ पापा बच्चे प्यार प्रेम खुश दुखी
    रेसिपी खाना भोजन रेस्टोरेंट यात्रा छुट्टी होटल जन्मदिन शादी विवाह स्कूल विद्यालय शिक्षक नौकरी करियर पैसा पैसे
    सलाह रिश्ता कुत्ता बिल्ली शौक प्रसिद्ध भाषा व्याकरण शताब्दी सदी क्रांति प्राचीन मुगल प्रधानमंत्री संसद व्यापार
    व्यवसाय कंपनी विपणन कर्मचारी ग्राहक नैतिकता लेखांकन अनुबंध अपराध अपराधी पुरातत्व समाजशास्त्र भूगोल लोकतंत्र
    गणराज्य संधि कूटनीति राष्ट्रवाद औपनिवेशिक गुलामी दासता मध्यकालीन विचारधारा पूंजीवाद समाजवाद साम्यवाद नारीवाद
    बौद्ध हिंदू इस्लाम मुस्लिम ईसाई यहूदी विज्ञापन उपभोक्ता पत्रिका अखबार समाचार रंगमंच नाटक संग्रहालय मूर्तिकला
    लड़ाई सेना सैनिक इतिहास साहित्य इतिहासकार नागरिक
    战争 国王 王后 皇帝 帝国 王朝 总统 政府 法律 法院 宪法 政治 政策 经济 经济学 哲学 哲学家 宗教 上帝 教堂 圣经
    文化 社会 心理学 选举 投票 小说 作者 书籍 电影 歌曲 音乐 歌手 演员 电视 球队 体育 足球 篮球 棒球 球员 奥运
    奥运会 艺术 艺术家 画家 绘画 诗歌 诗人 朋友 家人 家庭 妻子 丈夫 妈妈 爸爸 孩子 爱情 快乐 伤心 食谱 做饭 烹饪
    美食 餐厅 旅行 旅游 假期 酒店 生日 婚礼 学校 老师 职业 老板 恋爱 男朋友 女朋友 宠物 爱好 周末 无聊 著名 专辑
    音乐节 成语 世纪 革命 古代 朝代 王国 首相 议会 国会 税收 企业 公司 营销 经理 员工 顾客 伦理 道德 会计 审计
    立法 原告 被告 合同 犯罪 罪犯 考古 人类学 社会学 地理 民主 共和国 联邦 条约 外交 主权 民族主义 殖民 奴隶制
    文艺复兴 中世纪 意识形态 资本主义 社会主义 共产主义 女权主义 佛教 印度教 伊斯兰 基督教 犹太教 孔子 柏拉图 美德
    广告 品牌 消费者 领导力 名人 杂志 报纸 电视台 歌剧 戏剧 诗词 小说家 雕塑 博物馆 历史 朝廷 战役 军队 士兵 法老
    文学 历史学家 公民 君主
    戦争 王妃 大統領 裁判所 裁判 憲法 権利 経済 経済学 哲学者 神様 教会 聖書 選挙 小説 著者 書籍 映画 音楽 俳優
    女優 テレビ チーム スポーツ サッカー 野球 選手 芸術 絵画 詩人 友達 友人 家族 母親 父親 子供 恋愛 幸せ 悲しい
    レシピ 料理 食事 休暇 ホテル 誕生日 結婚 結婚式 教師 職業 キャリア 上司 お金 恋人 彼氏 ペット 趣味 週末 退屈
    空腹 有名 アルバム 祭り 文法 世紀 議会 税金 企業 会社 社員 従業員 顧客 倫理 道徳 会計 監査 契約 犯罪者 考古学
    人類学 民主主義 条約 主権 植民地 奴隷 中世 資本主義 社会主義 共産主義 仏教 イスラム 神道 ユダヤ教 美徳 広告
    ブランド 消費者 有名人 雑誌 新聞 ラジオ オペラ 演劇 劇場 詩歌 小説家 彫刻 博物館 美術館 歴史 天皇 将軍 武士
    幕府 戦い 軍隊 兵士 歴史家 市民`,
};
